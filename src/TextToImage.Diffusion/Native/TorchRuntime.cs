using System.Runtime.InteropServices;
using TorchSharp;

namespace TextToImage.Diffusion.Native;

/// <summary>
/// Loads libtorch once, and turns a failure into a message that says what to do. On Debian 12
/// TorchSharp's native library only loads as the build adapts it (build/LibTorchCompat.cs);
/// a build made elsewhere and copied over lacks that adaptation, and the loader's own reason
/// (a missing GLIBCXX version) is reported with the remedy.
/// </summary>
public static class TorchRuntime
{
    static readonly Lazy<string?> LoadFailure = new(TryLoadBackend);

    /// <summary>Loads libtorch, or throws with the loader's reason and the remedy.</summary>
    public static void EnsureAvailable()
    {
        if (LoadFailure.Value is { } failure) throw new InvalidOperationException(failure);
    }

    static string? TryLoadBackend()
    {
        // Ask the dynamic loader first: when it refuses, TorchSharp would print a long trace and
        // copy all of libtorch into <app>/cpu before failing with a less useful reason.
        if (NativeLoaderRefusal() is { } refusal)
            return $"libtorch could not be loaded: {refusal}{Environment.NewLine}" +
                   "On Debian 12 the build adapts TorchSharp's native library to the system's older libstdc++; a build " +
                   "made on another system and copied here lacks that: build or publish on this machine, or run on " +
                   "Debian 13 / Ubuntu 24.04.";
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            DisableNnpack();
            return null;
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException)
        {
            return $"libtorch could not be loaded: {e.InnerException?.Message ?? e.Message}";
        }
    }

    /// <summary>
    /// libtorch tries NNPACK for CPU convolutions and, where NNPACK cannot initialise (most x86
    /// servers: "Unsupported hardware"), retries and logs a warning on every convolution: about
    /// 900 lines per image. oneDNN serves those convolutions either way, so switch NNPACK off, as
    /// torch.backends.nnpack.set_flags(False) does in Python. TorchSharp has no binding for it;
    /// the two functions are exported by libtorch_cpu under their Itanium C++ names (Linux).
    /// </summary>
    static void DisableNnpack()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            SetUserEnabledNnpack(GlobalContext(), false);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Another libtorch build: keep its defaults.
        }
    }

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    /// <summary>The loader's reason for refusing TorchSharp's library in the app folder, or null.</summary>
    static string? NativeLoaderRefusal()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var app = AppContext.BaseDirectory;
        var library = new[] { Path.Combine(app, "runtimes", "linux-x64", "native"), app }
            .Select(folder => Path.Combine(folder, "libLibTorchSharp.so"))
            .FirstOrDefault(File.Exists);
        if (library is null) return null; // not beside the app: TorchSharp's own probing reports it
        try
        {
            // Harmless when it succeeds: TorchSharp loads this very file next.
            NativeLibrary.Load(library);
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e.Message; // carries the loader's own text, e.g. "version `GLIBCXX_3.4.32' not found"
        }
    }
}
