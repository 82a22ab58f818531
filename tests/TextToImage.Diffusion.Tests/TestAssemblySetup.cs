using System.Runtime.CompilerServices;
using TextToImage.Diffusion.Native;

namespace TextToImage.Diffusion.Tests;

static class TestAssemblySetup
{
    // Tests call torch directly; libtorch must be ready before the first such call.
    [ModuleInitializer]
    internal static void Initialize() => TorchRuntime.EnsureAvailable();
}
