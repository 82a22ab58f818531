using System.Runtime.CompilerServices;
using TextToImage.Diffusion.Native;

// libtorch already uses both cores inside each operation; parallel tests would only contend,
// and torch's global seed must not be shared between tests that build seeded networks.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace TextToImage.Training.Tests;

static class TestAssemblySetup
{
    // Tests call torch directly; libtorch must be ready before the first such call.
    [ModuleInitializer]
    internal static void Initialize() => TorchRuntime.EnsureAvailable();
}
