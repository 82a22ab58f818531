using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace TextToImage.Diffusion.Native;

/// <summary>
/// Gets libtorch ready before the first torch call. On Debian 12 the build patched
/// TorchSharp's native library and put a shim beside it (Native/build/LibTorchCompat.cs);
/// the shim must be loaded into the global symbol scope first, which this class does when
/// the engine assembly is first used. <see cref="EnsureAvailable"/> turns a load failure
/// into a message that says what to do.
/// </summary>
public static class TorchRuntime
{
    internal const string ShimName = "libt2i_ios_base_compat.so";
    const int RtldNow = 0x2, RtldGlobal = 0x100;

    static readonly Lazy<string?> LoadFailure = new(TryLoadBackend);

    /// <summary>The shim that was loaded, or null where none was needed.</summary>
    public static string? LoadedShim { get; private set; }

#pragma warning disable CA2255 // A library initializer is the point: it must run before TorchSharp loads.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void LoadCompatShim()
    {
        if (!OperatingSystem.IsLinux() || LoadedShim is not null) return;
        foreach (var folder in NativeFolders())
        {
            var shim = Path.Combine(folder, ShimName);
            if (File.Exists(shim) && dlopen(shim, RtldNow | RtldGlobal) != IntPtr.Zero)
            {
                LoadedShim = shim;
                return;
            }
        }
    }

    /// <summary>Loads libtorch, or throws with the loader's reason and the remedy.</summary>
    public static void EnsureAvailable()
    {
        if (LoadFailure.Value is { } failure) throw new InvalidOperationException(failure);
    }

    static string? TryLoadBackend()
    {
        LoadCompatShim();
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException)
        {
            return $"libtorch could not be loaded: {NativeLoaderReason() ?? e.Message}{Environment.NewLine}" +
                   "On Debian 12 the build adapts TorchSharp to the system's older libstdc++ (it needs g++ at build " +
                   "time: apt-get install g++, then rebuild). A build made elsewhere and copied here lacks that " +
                   "adaptation: rebuild or publish on this machine, or run on Debian 13 / Ubuntu 24.04.";
        }
    }

    /// <summary>Asks the dynamic loader itself why TorchSharp's library fails (e.g. a missing GLIBCXX version).</summary>
    static string? NativeLoaderReason()
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (var folder in NativeFolders())
        {
            var library = Path.Combine(folder, "libLibTorchSharp.so");
            if (!File.Exists(library)) continue;
            var handle = dlopen(library, RtldNow);
            if (handle != IntPtr.Zero) return null;
            return Marshal.PtrToStringAnsi(dlerror());
        }
        return "libLibTorchSharp.so is not in the application folder (is the libtorch package referenced?)";
    }

    static IEnumerable<string> NativeFolders()
    {
        var app = AppContext.BaseDirectory;
        yield return Path.Combine(app, "runtimes", "linux-x64", "native");
        yield return app;
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    static extern IntPtr dlopen(string path, int flags);

    [DllImport("libc", EntryPoint = "dlerror")]
    static extern IntPtr dlerror();
}
