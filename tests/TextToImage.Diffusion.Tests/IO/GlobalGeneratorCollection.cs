namespace TextToImage.Diffusion.Tests.IO;

/// <summary>
/// Tests that draw from torch's global generator (building a module does, to initialise its
/// weights) run in this collection, alone, so they cannot shift the sequence under a parallel
/// test that checks a seeded draw.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalGeneratorCollection
{
    public const string Name = "Tests that use torch's global generator";
}
