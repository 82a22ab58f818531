namespace TextToImage.Service.Tests.Infrastructure;

/// <summary>
/// The tests that share one Azurite (<see cref="AzuriteFixture"/>, from TextToImage.Testing). Declared
/// here because xunit discovers collection definitions only in the test assembly that uses them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
