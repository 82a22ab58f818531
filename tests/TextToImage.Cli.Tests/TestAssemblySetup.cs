using System.Runtime.CompilerServices;
using TextToImage.Diffusion.Native;

// Each test runs t2i, and libtorch there already uses both cores inside each operation: parallel
// tests would only contend, and torch's global seed must not be shared between tests that build
// seeded networks in this process (RandomCascade.Create).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace TextToImage.Cli.Tests;

static class TestAssemblySetup
{
    // Tests build models in-process (RandomCascade.Create); libtorch must be ready before the first torch call.
    [ModuleInitializer]
    internal static void Initialize() => TorchRuntime.EnsureAvailable();
}
