using System.Runtime.CompilerServices;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Tests.Pipelines;

namespace TextToImage.Diffusion.Tests.Native;

public sealed class FinalizerGateTests
{
    sealed class Finalizable(StrongBox<bool> finalized)
    {
        ~Finalizable() => finalized.Value = true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Abandon(StrongBox<bool> finalized) => _ = new Finalizable(finalized);

    [Fact]
    public void While_a_gate_is_held_nothing_is_finalized_and_afterwards_everything_is()
    {
        var finalized = new StrongBox<bool>();
        using (FinalizerGate.Hold())
        {
            Assert.True(FinalizerGate.IsHeld);
            Abandon(finalized);
            GC.Collect();
            Thread.Sleep(200); // time the finalizer thread would need, were it free
            Assert.False(finalized.Value);
        }
        Assert.False(FinalizerGate.IsHeld);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(finalized.Value);
    }

    [Fact]
    public void Nested_and_repeated_releases_open_the_gate_once_the_last_holder_is_done()
    {
        var outer = FinalizerGate.Hold();
        var inner = FinalizerGate.Hold();
        inner.Dispose();
        inner.Dispose();
        Assert.True(FinalizerGate.IsHeld);
        outer.Dispose();
        Assert.False(FinalizerGate.IsHeld);
        GC.WaitForPendingFinalizers(); // the finalizer thread is free again: this returns
    }

    [Fact]
    public void Waiting_for_finalizers_while_a_gate_is_held_does_not_deadlock()
    {
        // What TorchSharp's factories do when an allocation fails, before they retry. The join is
        // a guard against a deadlock, many parks long, not a measure of speed.
        var waiter = new Thread(() =>
        {
            using (FinalizerGate.Hold()) GC.WaitForPendingFinalizers();
        });
        waiter.Start();
        Assert.True(waiter.Join(FinalizerGate.MaxPark * 12), "GC.WaitForPendingFinalizers never returned under a held gate.");
    }

    [Fact]
    public void Generation_survives_another_thread_allocating_all_the_while()
    {
        // Without the gate, garbage collections started by the other thread let the finalizer
        // free TorchSharp's temporary scalars mid-call: 4 of 30 such generations failed here.
        using var tiny = new TinyCascade();
        using var stop = new CancellationTokenSource();
        var allocator = new Thread(() =>
        {
            var garbage = new List<byte[]>();
            while (!stop.IsCancellationRequested)
            {
                garbage.Add(new byte[1024]);
                if (garbage.Count > 1000) garbage.Clear();
            }
        });
        allocator.Start();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                using var result = tiny.Pipeline.Generate(TinyCascade.Request() with { Seed = i });
                Assert.Equal(3, result.Stages.Count);
            }
        }
        finally
        {
            stop.Cancel();
            allocator.Join();
        }
    }
}
