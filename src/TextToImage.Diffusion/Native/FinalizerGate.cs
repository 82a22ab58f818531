using System.Runtime.CompilerServices;

namespace TextToImage.Diffusion.Native;

/// <summary>
/// Holds the .NET finalizer thread while native tensor work runs, so that no finalizer frees a
/// TorchSharp object that a native call is still reading.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 creates a temporary <c>Scalar</c> in many operations (<c>a + b</c> is
/// <c>add(b, alpha: 1)</c>) and frees it only by finalizer. The JIT ends the temporary's lifetime
/// when its handle is read, before the native call that uses it returns, so a garbage collection
/// started by any other thread can queue it, and the finalizer thread frees it mid-call:
/// libtorch then reads freed memory ("Expected false to be true" from <c>Scalar::toFloat</c>, or
/// worse). Measured here: 4 of 30 tiny-model generations failed while a second thread allocated;
/// dotnet/TorchSharp#1434 (open) would dispose those temporaries. Until then, while a gate is
/// held the finalizer thread sits in a sentinel's finalizer; what dies meanwhile is freed when the
/// last gate is released. Deterministically disposed tensors are not affected.
/// TorchSharp's tensor factories call <see cref="GC.WaitForPendingFinalizers"/> when an allocation
/// fails (out of memory, bad arguments) and then retry; so the sentinel lets the finalizer thread
/// go every <see cref="MaxPark"/> and parks it again at the next collection. Such a failure costs
/// at most that long, and finalizers run in a short burst that often instead of at any moment. Such a
/// burst can still meet a generation in flight (a 6-generation test failed once with a 5 s park on a
/// machine loaded 20-fold), so the park is long enough to cover a whole request on CPU.
/// </remarks>
public static class FinalizerGate
{
    /// <summary>A failure guard: a finalizer thread busy for this long is not waited for again.</summary>
    static readonly TimeSpan ParkTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The longest the finalizer thread stays parked at a time (see remarks).</summary>
    public static readonly TimeSpan MaxPark = TimeSpan.FromSeconds(20);

    static readonly Lock Sync = new();
    static int holders;
    static ManualResetEventSlim? release;

    /// <summary>Holds the finalizer thread until the returned gate (and every other one held) is disposed.</summary>
    public static IDisposable Hold()
    {
        lock (Sync)
        {
            if (holders++ == 0) release = Park();
        }
        return new Gate();
    }

    /// <summary>Whether the finalizer thread is parked now (for tests).</summary>
    public static bool IsHeld
    {
        get
        {
            lock (Sync) return release is not null;
        }
    }

    static ManualResetEventSlim? Park()
    {
        var parked = new ManualResetEventSlim();
        var open = new ManualResetEventSlim();
        MakeSentinel(parked, open);
        // The sentinel is garbage from here on: a collection queues it, and the finalizer thread
        // reaches it after whatever was queued before.
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        if (parked.Wait(ParkTimeout)) return open;
        open.Set(); // let it pass whenever it gets there; this hold goes unprotected rather than hanging
        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void MakeSentinel(ManualResetEventSlim parked, ManualResetEventSlim open) => _ = new Sentinel(parked, open);

    static void Release()
    {
        lock (Sync)
        {
            if (--holders > 0) return;
            release?.Set();
            release = null;
        }
    }

    sealed class Gate : IDisposable
    {
        int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) Release();
        }
    }

    sealed class Sentinel(ManualResetEventSlim parked, ManualResetEventSlim open)
    {
        ~Sentinel()
        {
            parked.Set();
            // Still held after MaxPark: let the queue drain, and park again at the next collection.
            if (!open.Wait(MaxPark)) GC.ReRegisterForFinalize(this);
        }
    }
}
