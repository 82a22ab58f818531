using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TextToImage.Service.Hosting;
using TextToImage.Service.Jobs;
using TextToImage.Service.Tests.Support;

namespace TextToImage.Service.Tests.Jobs;

public sealed class JobRecoveryTests : IDisposable
{
    static readonly CancellationToken None = CancellationToken.None;
    readonly TempFolder folder = new();
    readonly SqliteJobStore store;
    readonly FakeDispatcher dispatcher = new();
    readonly JobRecovery recovery;

    public JobRecoveryTests()
    {
        store = new SqliteJobStore(folder["jobs.db"]);
        recovery = new JobRecovery(store, dispatcher, Options.Create(new JobsOptions()), TimeProvider.System, NullLogger<JobRecovery>.Instance);
    }

    public void Dispose()
    {
        recovery.Dispose();
        folder.Dispose();
    }

    async Task<GenerationRecord> Insert(string? dispatch, TimeSpan age)
    {
        var record = Records.Queued(age);
        await store.CreateAsync(record, null, 100, None);
        if (dispatch is not null) await store.SetDispatchAsync(record.Id, dispatch, None);
        return record;
    }

    async Task<GenerationRecord> Running(JobLease lease, bool cancelRequested = false)
    {
        var record = await Insert("d1", TimeSpan.FromMinutes(1));
        var now = DateTimeOffset.UtcNow;
        await store.TryClaimAsync(record.Id, "d1", lease, now, None);
        if (cancelRequested) await store.RequestCancelAsync(record.Id, now, None);
        return record;
    }

    async Task<GenerationRecord> Read(string id) => (await store.GetAsync(id, None))!;

    /// <summary>A lease owner naming a process on this machine that has exited.</summary>
    static string DeadOwner()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return $"{Environment.MachineName}/{process.Id}/{DateTime.UtcNow.Ticks}/x";
    }

    [Fact]
    public async Task A_running_job_whose_lease_ran_out_is_queued_again()
    {
        var record = await Running(new JobLease("elsewhere/1/1/x", DateTimeOffset.UtcNow.AddSeconds(-1)));
        Assert.Equal(1, await recovery.RecoverAsync(None));

        var read = await Read(record.Id);
        Assert.Equal(GenerationStatus.Queued, read.Status);
        Assert.Equal([record.Id], dispatcher.Enqueued);
        Assert.StartsWith("fake-", read.DispatchId);
    }

    [Fact]
    public async Task A_running_job_of_a_dead_process_on_this_machine_is_queued_again_before_its_lease_ends()
    {
        var record = await Running(new JobLease(DeadOwner(), DateTimeOffset.UtcNow.AddMinutes(10)));
        Assert.Equal(1, await recovery.RecoverAsync(None));
        Assert.Equal(GenerationStatus.Queued, (await Read(record.Id)).Status);
    }

    [Fact]
    public async Task A_job_held_by_a_live_lease_is_left_alone()
    {
        var record = await Running(new JobLease(LeaseOwners.New(), DateTimeOffset.UtcNow.AddMinutes(10)));
        var remote = await Running(new JobLease("another-machine/1/1/x", DateTimeOffset.UtcNow.AddMinutes(10)));
        Assert.Equal(0, await recovery.RecoverAsync(None));
        Assert.Equal(GenerationStatus.Running, (await Read(record.Id)).Status);
        Assert.Equal(GenerationStatus.Running, (await Read(remote.Id)).Status);
        Assert.Empty(dispatcher.Enqueued);
    }

    [Fact]
    public async Task An_orphan_whose_cancel_was_asked_for_ends_canceled()
    {
        var record = await Running(new JobLease(DeadOwner(), DateTimeOffset.UtcNow.AddMinutes(10)), cancelRequested: true);
        Assert.Equal(0, await recovery.RecoverAsync(None));
        Assert.Equal(GenerationStatus.Canceled, (await Read(record.Id)).Status);
        Assert.Empty(dispatcher.Enqueued);
    }

    [Fact]
    public async Task A_queued_job_whose_dispatch_was_lost_is_dispatched_again()
    {
        var neverDispatched = await Insert(null, TimeSpan.FromMinutes(1));
        var deleted = await Insert("gone", TimeSpan.FromMinutes(1));
        dispatcher.States["gone"] = DispatchState.Lost;
        var waiting = await Insert("waiting", TimeSpan.FromMinutes(1));
        dispatcher.States["waiting"] = DispatchState.Waiting;
        var fetched = await Insert("fetched", TimeSpan.FromMinutes(1));
        dispatcher.States["fetched"] = DispatchState.Processing;
        var justSubmitted = await Insert(null, TimeSpan.Zero);

        Assert.Equal(2, await recovery.RecoverAsync(None));
        Assert.Equal([neverDispatched.Id, deleted.Id], dispatcher.Enqueued.Order());
        Assert.Equal("waiting", (await Read(waiting.Id)).DispatchId);
        Assert.Equal("fetched", (await Read(fetched.Id)).DispatchId);
        Assert.Null((await Read(justSubmitted.Id)).DispatchId);
    }

    [Fact]
    public async Task Losing_a_race_takes_the_extra_dispatch_back_off_the_queue()
    {
        var record = await Running(new JobLease("elsewhere/1/1/x", DateTimeOffset.UtcNow.AddSeconds(-1)));
        var other = new JobRecovery(store, dispatcher, Options.Create(new JobsOptions()), TimeProvider.System, NullLogger<JobRecovery>.Instance);
        var recovered = await Task.WhenAll(Task.Run(() => recovery.RecoverAsync(None)), Task.Run(() => other.RecoverAsync(None)));

        Assert.Equal(1, recovered.Sum());
        var read = await Read(record.Id);
        Assert.Equal(GenerationStatus.Queued, read.Status);
        Assert.Equal(dispatcher.Enqueued.Count - 1, dispatcher.Removed.Count);
        Assert.DoesNotContain(read.DispatchId, dispatcher.Removed);
    }
}
