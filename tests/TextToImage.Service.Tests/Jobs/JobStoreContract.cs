using TextToImage.Service.Jobs;
using TextToImage.Service.Tests.Support;
using TextToImage.Service.Webhooks;

namespace TextToImage.Service.Tests.Jobs;

/// <summary>
/// What every <see cref="IJobStore"/> guarantees, run unchanged against each store (SQLite here,
/// PostgreSQL in <see cref="PostgresJobStoreTests"/>), each test on a database of its own.
/// </summary>
public abstract class JobStoreContract : IAsyncLifetime
{
    protected static readonly CancellationToken None = CancellationToken.None;
    protected IJobStore store = null!;

    /// <summary>A store on a new, empty database.</summary>
    protected abstract Task<IJobStore> CreateStoreAsync();

    /// <summary>A second store (as another process would open it) on the database of <see cref="store"/>.</summary>
    protected abstract Task<IJobStore> OpenAgainAsync();

    public async Task InitializeAsync() => store = await CreateStoreAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected async Task<GenerationRecord> Insert(GenerationRecord? record = null, string? dispatch = "d1")
    {
        record ??= Records.Queued();
        Assert.Equal(CreateResult.Created, (await store.CreateAsync(record, null, 1000, None)).Result);
        if (dispatch is not null) await store.SetDispatchAsync(record.Id, dispatch, None);
        return record;
    }

    protected async Task<(GenerationRecord Record, JobLease Lease)> Running(TimeSpan? lasting = null)
    {
        var record = await Insert();
        var lease = Records.Lease(lasting);
        Assert.NotNull(await store.TryClaimAsync(record.Id, "d1", lease, DateTimeOffset.UtcNow, None));
        return (record, lease);
    }

    [Fact]
    public async Task A_record_reads_back_as_written()
    {
        var record = await Insert(Records.Queued(parameters: Records.Parameters(numImages: 3, seed: 1L << 40)) with { });
        var read = await store.GetAsync(record.Id, None);
        Assert.NotNull(read);
        Assert.Equal(record.Parameters, read.Parameters);
        Assert.Equal(GenerationStatus.Queued, read.Status);
        Assert.Equal(record.CreatedAt.ToUnixTimeMilliseconds(), read.CreatedAt.ToUnixTimeMilliseconds());
        Assert.Equal("d1", read.DispatchId);
        Assert.Null(await store.GetAsync("missing", None));
    }

    [Fact]
    public async Task Lists_newest_first_in_pages_and_by_status()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add((await Insert()).Id);
        var (running, _) = await Running();

        var first = await store.ListAsync(null, 4, null, null, None);
        var second = await store.ListAsync(null, 4, first[^1].Id, null, None);
        Assert.Equal(ids.Append(running.Id).Reverse().ToList(), first.Concat(second).Select(r => r.Id).ToList());
        Assert.Equal([running.Id], (await store.ListAsync(GenerationStatus.Running, 10, null, null, None)).Select(r => r.Id));
        Assert.Equal(5, (await store.ListAsync(GenerationStatus.Queued, 10, null, null, None)).Count);
    }

    [Fact]
    public async Task Queue_position_counts_the_queued_jobs_ahead()
    {
        var a = await Insert();
        var b = await Insert();
        var c = await Insert();
        Assert.Equal(3, await store.QueuePositionAsync(c.Id, None));
        Assert.NotNull(await store.TryClaimAsync(a.Id, "d1", Records.Lease(), DateTimeOffset.UtcNow, None));
        Assert.Null(await store.QueuePositionAsync(a.Id, None));
        Assert.Equal(1, await store.QueuePositionAsync(b.Id, None));
        Assert.Equal(2, await store.QueuePositionAsync(c.Id, None));
        Assert.Equal(2, await store.CountQueuedAsync(None));
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_job_or_a_conflict()
    {
        var first = Records.Queued();
        Assert.Equal(CreateResult.Created, (await store.CreateAsync(first, new IdempotencyClaim("k", "hash-a"), 10, None)).Result);

        var again = await store.CreateAsync(Records.Queued(), new IdempotencyClaim("k", "hash-a"), 10, None);
        Assert.Equal(CreateResult.Existing, again.Result);
        Assert.Equal(first.Id, again.Record.Id);

        var other = await store.CreateAsync(Records.Queued(), new IdempotencyClaim("k", "hash-b"), 10, None);
        Assert.Equal(CreateResult.KeyConflict, other.Result);
        Assert.Equal(first.Id, other.Record.Id);
        Assert.Single(await store.ListAsync(null, 10, null, null, None));
    }

    [Fact]
    public async Task A_full_queue_refuses_new_jobs_but_still_answers_a_repeated_key()
    {
        var first = Records.Queued();
        await store.CreateAsync(first, new IdempotencyClaim("k", "h"), 2, None);
        await store.CreateAsync(Records.Queued(), null, 2, None);

        Assert.Equal(CreateResult.QueueFull, (await store.CreateAsync(Records.Queued(), null, 2, None)).Result);
        Assert.Equal(CreateResult.Existing, (await store.CreateAsync(Records.Queued(), new IdempotencyClaim("k", "h"), 2, None)).Result);
        Assert.Equal(2, await store.CountQueuedAsync(None));
    }

    [Fact]
    public async Task A_job_is_claimed_once_until_its_lease_runs_out()
    {
        var record = await Insert();
        var now = DateTimeOffset.UtcNow;
        var first = await store.TryClaimAsync(record.Id, "d1", new JobLease("a", now + TimeSpan.FromSeconds(30)), now, None);
        Assert.NotNull(first);
        Assert.Equal(GenerationStatus.Running, first.Status);
        Assert.Equal(1, first.Attempts);
        Assert.NotNull(first.StartedAt);

        Assert.Null(await store.TryClaimAsync(record.Id, "d1", new JobLease("b", now + TimeSpan.FromSeconds(30)), now, None));
        var later = now + TimeSpan.FromSeconds(31);
        var second = await store.TryClaimAsync(record.Id, "d1", new JobLease("b", later + TimeSpan.FromSeconds(30)), later, None);
        Assert.NotNull(second);
        Assert.Equal(2, second.Attempts);
        Assert.Equal("b", second.Lease?.Owner);
        Assert.Equal(first.StartedAt, second.StartedAt);
    }

    [Fact]
    public async Task A_stale_dispatch_cannot_claim()
    {
        var record = await Insert(dispatch: "current");
        Assert.Null(await store.TryClaimAsync(record.Id, "stale", Records.Lease(), DateTimeOffset.UtcNow, None));
        Assert.NotNull(await store.TryClaimAsync(record.Id, "current", Records.Lease(), DateTimeOffset.UtcNow, None));
    }

    [Fact]
    public async Task A_job_picked_up_before_its_dispatch_is_recorded_takes_the_dispatch_as_its_own()
    {
        var record = await Insert(dispatch: null);
        var claimed = await store.TryClaimAsync(record.Id, "early", Records.Lease(), DateTimeOffset.UtcNow, None);
        Assert.Equal("early", claimed?.DispatchId);
        await store.SetDispatchAsync(record.Id, "late", None);
        Assert.Equal("early", (await store.GetAsync(record.Id, None))?.DispatchId);
    }

    [Fact]
    public async Task Two_stores_on_one_database_racing_to_claim_let_exactly_one_win()
    {
        var other = await OpenAgainAsync();
        for (var round = 0; round < 20; round++)
        {
            var record = await Insert();
            var now = DateTimeOffset.UtcNow;
            var claims = await Task.WhenAll(
                Task.Run(() => store.TryClaimAsync(record.Id, "d1", new JobLease("a", now.AddMinutes(1)), now, None)),
                Task.Run(() => other.TryClaimAsync(record.Id, "d1", new JobLease("b", now.AddMinutes(1)), now, None)));
            Assert.Single(claims, c => c is not null);
        }
    }

    [Fact]
    public async Task Writes_by_a_worker_that_lost_its_lease_change_nothing()
    {
        var (record, lease) = await Running();
        var progress = new JobProgress("base", 0, 2, 3, 10);
        Assert.True(await store.ReportProgressAsync(record.Id, lease.Owner, progress, None));
        Assert.False(await store.ReportProgressAsync(record.Id, "intruder", progress with { Step = 9 }, None));
        Assert.False(await store.CompleteAsync(record.Id, "intruder", new JobCompletion(GenerationStatus.Succeeded, DateTimeOffset.UtcNow, [], null, null), None));
        Assert.False(await store.ReleaseAsync(record.Id, "intruder", None));
        Assert.False((await store.RenewAsync(record.Id, new JobLease("intruder", DateTimeOffset.UtcNow.AddMinutes(1)), None)).Held);

        var read = await store.GetAsync(record.Id, None);
        Assert.Equal(GenerationStatus.Running, read?.Status);
        Assert.Equal(progress, read?.Progress);
    }

    [Fact]
    public async Task Completing_records_the_outcome_and_ends_the_lease()
    {
        var (record, lease) = await Running();
        var images = new[] { new StoredImage($"{record.Id}/0.png", 32, 32, 7) };
        var metrics = new JobMetrics(0.5, 2.25, new Dictionary<string, double> { ["base"] = 2 });
        Assert.True(await store.CompleteAsync(record.Id, lease.Owner, new JobCompletion(GenerationStatus.Succeeded, DateTimeOffset.UtcNow, images, null, metrics), None));

        var read = await store.GetAsync(record.Id, None);
        Assert.Equal(GenerationStatus.Succeeded, read?.Status);
        Assert.Equal(images, read?.Images);
        Assert.Equal(2.25, read?.Metrics?.RunSeconds);
        Assert.Equal(2, read?.Metrics?.StageSeconds["base"]);
        Assert.Null(read?.Lease);
        Assert.NotNull(read?.CompletedAt);
        Assert.False(await store.CompleteAsync(record.Id, lease.Owner, new JobCompletion(GenerationStatus.Failed, DateTimeOffset.UtcNow, [], null, null), None));
        await Assert.ThrowsAsync<ArgumentException>(() => store.CompleteAsync(record.Id, lease.Owner, new JobCompletion(GenerationStatus.Running, DateTimeOffset.UtcNow, [], null, null), None));
    }

    [Fact]
    public async Task Stage_images_accumulate_and_a_rerun_replaces_a_stage()
    {
        var (record, lease) = await Running();
        StageOutput Stage(int index, string key) => new($"s{index}", index, 16 << index, [new StoredImage(key, 16 << index, 16 << index, 7)]);
        Assert.True(await store.AddStageImagesAsync(record.Id, lease.Owner, Stage(1, "b"), None));
        Assert.True(await store.AddStageImagesAsync(record.Id, lease.Owner, Stage(0, "a"), None));
        Assert.True(await store.AddStageImagesAsync(record.Id, lease.Owner, Stage(0, "a2"), None));
        Assert.False(await store.AddStageImagesAsync(record.Id, "intruder", Stage(2, "c"), None));

        var stages = (await store.GetAsync(record.Id, None))!.StageImages;
        Assert.Equal([0, 1], stages.Select(s => s.StageIndex));
        Assert.Equal("a2", stages[0].Images[0].Key);
    }

    [Fact]
    public async Task Cancel_answers_by_state()
    {
        var queued = await Insert();
        var (running, lease) = await Running();
        var (finished, finishedLease) = await Running();
        await store.CompleteAsync(finished.Id, finishedLease.Owner, new JobCompletion(GenerationStatus.Succeeded, DateTimeOffset.UtcNow, [], null, null), None);
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(CancelResult.NotFound, (await store.RequestCancelAsync("missing", now, None)).Result);
        var canceled = await store.RequestCancelAsync(queued.Id, now, None);
        Assert.Equal(CancelResult.Canceled, canceled.Result);
        Assert.Equal(GenerationStatus.Canceled, (await store.GetAsync(queued.Id, None))?.Status);
        Assert.Equal(CancelResult.AlreadyCanceled, (await store.RequestCancelAsync(queued.Id, now, None)).Result);
        Assert.Null(await store.TryClaimAsync(queued.Id, "d1", Records.Lease(), now, None));

        Assert.Equal(CancelResult.Requested, (await store.RequestCancelAsync(running.Id, now, None)).Result);
        var renewed = await store.RenewAsync(running.Id, lease, None);
        Assert.True(renewed.Held);
        Assert.True(renewed.CancelRequested);

        Assert.Equal(CancelResult.Finished, (await store.RequestCancelAsync(finished.Id, now, None)).Result);
        Assert.Equal(GenerationStatus.Succeeded, (await store.GetAsync(finished.Id, None))?.Status);
    }

    [Fact]
    public async Task Release_puts_a_job_back_in_the_queue_for_its_dispatch()
    {
        var (record, lease) = await Running();
        await store.ReportProgressAsync(record.Id, lease.Owner, new JobProgress("base", 0, 1, 1, 2), None);
        Assert.True(await store.ReleaseAsync(record.Id, lease.Owner, None));
        var read = await store.GetAsync(record.Id, None);
        Assert.Equal(GenerationStatus.Queued, read?.Status);
        Assert.Null(read?.Progress);
        Assert.NotNull(await store.TryClaimAsync(record.Id, "d1", Records.Lease(), DateTimeOffset.UtcNow, None));
    }

    [Fact]
    public async Task Redispatch_takes_over_only_what_is_still_as_it_was_seen()
    {
        var (record, _) = await Running(lasting: TimeSpan.FromMinutes(1));
        var seen = (await store.GetAsync(record.Id, None))!;
        Assert.False(await store.RedispatchAsync(seen, DateTimeOffset.UtcNow, "d2", None)); // the lease has not ended
        Assert.True(await store.RedispatchAsync(seen, DateTimeOffset.MaxValue, "d2", None)); // its owner is known dead
        Assert.False(await store.RedispatchAsync(seen, DateTimeOffset.MaxValue, "d3", None)); // no longer as seen

        var read = (await store.GetAsync(record.Id, None))!;
        Assert.Equal(GenerationStatus.Queued, read.Status);
        Assert.Equal("d2", read.DispatchId);
        Assert.Null(read.Lease);
        Assert.Null(await store.TryClaimAsync(record.Id, "d1", Records.Lease(), DateTimeOffset.UtcNow, None));
        Assert.NotNull(await store.TryClaimAsync(record.Id, "d2", Records.Lease(), DateTimeOffset.UtcNow, None));
    }

    [Fact]
    public async Task An_edit_reads_back_with_its_kind_settings_and_inputs()
    {
        var record = Records.Queued(parameters: Records.Parameters() with { Kind = JobKinds.Edit, Strength = 0.6, JumpLength = 2, JumpCount = 1 })
            with { Inputs = new JobInputs("abc/input.png", "abc/mask.png") };
        await store.CreateAsync(record, null, 10, None);

        var read = (await store.GetAsync(record.Id, None))!;
        Assert.Equal(record.Parameters, read.Parameters);
        Assert.Equal(record.Inputs, read.Inputs);
        Assert.Equal(record.Inputs, (await store.ListAsync(null, 10, null, null, None)).Single().Inputs);
    }

    [Fact]
    public async Task A_job_keeps_its_owner_and_lists_filter_by_owner()
    {
        var mine = await Insert(Records.Queued() with { Owner = "key:aaaa" });
        var theirs = await Insert(Records.Queued() with { Owner = "key:bbbb" });
        var nobodys = await Insert();

        Assert.Equal("key:aaaa", (await store.GetAsync(mine.Id, None))?.Owner);
        Assert.Null((await store.GetAsync(nobodys.Id, None))?.Owner);
        Assert.Equal([mine.Id], (await store.ListAsync(null, 10, null, "key:aaaa", None)).Select(r => r.Id));
        Assert.Equal([nobodys.Id, theirs.Id, mine.Id], (await store.ListAsync(null, 10, null, null, None)).Select(r => r.Id));
    }

    [Fact]
    public async Task Delete_removes_any_job_but_a_running_one()
    {
        var queued = await Insert();
        var (running, lease) = await Running();
        var (finished, finishedLease) = await Running();
        await store.CompleteAsync(finished.Id, finishedLease.Owner, new JobCompletion(GenerationStatus.Succeeded, DateTimeOffset.UtcNow, [], null, null), None);

        Assert.Equal(DeleteResult.Deleted, (await store.DeleteAsync(queued.Id, None)).Result);
        Assert.Equal(DeleteResult.Running, (await store.DeleteAsync(running.Id, None)).Result);
        var deleted = await store.DeleteAsync(finished.Id, None);
        Assert.Equal((DeleteResult.Deleted, finished.Id), (deleted.Result, deleted.Record?.Id));
        Assert.Equal(DeleteResult.NotFound, (await store.DeleteAsync(finished.Id, None)).Result);
        Assert.Equal([running.Id], (await store.ListAsync(null, 10, null, null, None)).Select(r => r.Id));
        Assert.True(await store.RenewAsync(running.Id, lease, None) is { Held: true });
    }

    [Fact]
    public async Task Finished_jobs_are_listed_by_when_they_ended()
    {
        var now = DateTimeOffset.UtcNow;
        async Task<string> Finished(TimeSpan ago, GenerationStatus status)
        {
            var (record, lease) = await Running();
            await store.CompleteAsync(record.Id, lease.Owner, new JobCompletion(status, now - ago, [], null, null), None);
            return record.Id;
        }
        var newer = await Finished(TimeSpan.FromDays(8), GenerationStatus.Failed);
        var older = await Finished(TimeSpan.FromDays(9), GenerationStatus.Succeeded);
        await Finished(TimeSpan.FromDays(1), GenerationStatus.Succeeded);
        await Running();
        await Insert();

        Assert.Equal([older, newer], (await store.ListFinishedBeforeAsync(now - TimeSpan.FromDays(7), 10, None)).Select(r => r.Id));
        Assert.Equal([older], (await store.ListFinishedBeforeAsync(now - TimeSpan.FromDays(7), 1, None)).Select(r => r.Id));
    }

    [Fact]
    public async Task A_status_the_store_does_not_know_is_an_error_not_a_queued_job()
    {
        var record = await Insert();
        await SetStatusByHandAsync(record.Id, "paused");
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync(record.Id, None));
        Assert.Contains("'paused'", error.Message);
    }

    static GenerationRecord WithWebhook(IReadOnlyList<string>? events = null) =>
        Records.Queued(parameters: Records.Parameters() with { Webhook = "https://example.com/hook", WebhookEventsFilter = events ?? WebhookEvents.All }) with
        {
            ApiBaseUrl = "http://t2i.example:8080",
        };

    async Task<IReadOnlyList<string>> ClaimDue(DateTimeOffset? now = null)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        return (await ((IWebhookOutbox)store).ClaimDueAsync(at, at + TimeSpan.FromMinutes(1), 100, None)).Select(d => d.Id).Order().ToList();
    }

    [Fact]
    public async Task A_job_owes_its_webhook_its_start_each_stage_its_final_output_and_its_end_once_each()
    {
        var record = await Insert(WithWebhook());
        Assert.Equal("http://t2i.example:8080", (await store.GetAsync(record.Id, None))!.ApiBaseUrl);
        Assert.Empty(await ClaimDue());

        var lease = Records.Lease();
        await store.TryClaimAsync(record.Id, "d1", lease, DateTimeOffset.UtcNow, None);
        await store.AddStageImagesAsync(record.Id, lease.Owner, new StageOutput("base", 0, 16, []), None);
        Assert.Equal([$"{record.Id}.output-0", $"{record.Id}.start"], await ClaimDue());
        Assert.Empty(await ClaimDue());   // claimed: no other sender takes them

        // A crash and a retry: the second claim and the same stage again owe nothing new.
        await store.ReleaseAsync(record.Id, lease.Owner, None);
        var retry = Records.Lease();
        await store.TryClaimAsync(record.Id, "d1", retry, DateTimeOffset.UtcNow, None);
        await store.AddStageImagesAsync(record.Id, retry.Owner, new StageOutput("base", 0, 16, []), None);
        Assert.True(await store.CompleteAsync(record.Id, retry.Owner, new JobCompletion(GenerationStatus.Succeeded, DateTimeOffset.UtcNow, [], null, null), None));
        Assert.Equal([$"{record.Id}.completed", $"{record.Id}.output-final"], await ClaimDue());

        // Claims run out: an unfinished delivery is taken again, with its attempts counted.
        var later = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2);
        var again = await ((IWebhookOutbox)store).ClaimDueAsync(later, later + TimeSpan.FromMinutes(1), 100, None);
        Assert.Equal(4, again.Count);
        Assert.All(again, d => Assert.Equal((2, "https://example.com/hook", record.Id), (d.Attempts, d.Url, d.JobId)));
        Assert.Equal(WebhookEvents.Completed, again.Single(d => d.Id.EndsWith(".completed")).Event);
    }

    [Fact]
    public async Task Delivered_and_abandoned_deliveries_are_done_and_a_rescheduled_one_waits()
    {
        var record = await Insert(WithWebhook([WebhookEvents.Start, WebhookEvents.Completed]));
        var lease = Records.Lease();
        await store.TryClaimAsync(record.Id, "d1", lease, DateTimeOffset.UtcNow, None);
        await store.AddStageImagesAsync(record.Id, lease.Owner, new StageOutput("base", 0, 16, []), None);   // not asked for
        await store.CompleteAsync(record.Id, lease.Owner, new JobCompletion(GenerationStatus.Failed, DateTimeOffset.UtcNow, [], new JobError("x", "y"), null), None);
        var outbox = (IWebhookOutbox)store;
        Assert.Equal([$"{record.Id}.completed", $"{record.Id}.start"], await ClaimDue());

        var now = DateTimeOffset.UtcNow;
        await outbox.MarkDeliveredAsync($"{record.Id}.start", now, None);
        await outbox.RescheduleAsync($"{record.Id}.completed", now + TimeSpan.FromMinutes(10), "HTTP 503", None);
        Assert.Empty(await ClaimDue(now + TimeSpan.FromMinutes(5)));
        Assert.Equal([$"{record.Id}.completed"], await ClaimDue(now + TimeSpan.FromMinutes(11)));
        await outbox.AbandonAsync($"{record.Id}.completed", now, "HTTP 503", None);
        Assert.Empty(await ClaimDue(now + TimeSpan.FromDays(1)));
    }

    [Fact]
    public async Task A_queued_job_canceled_owes_its_end_and_a_deleted_job_owes_nothing()
    {
        var canceled = await Insert(WithWebhook());
        await store.RequestCancelAsync(canceled.Id, DateTimeOffset.UtcNow, None);
        var plain = await Insert();   // no webhook: nothing is owed for it
        await store.RequestCancelAsync(plain.Id, DateTimeOffset.UtcNow, None);
        var later = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5);
        Assert.Equal([$"{canceled.Id}.completed"], await ClaimDue());

        Assert.Equal(DeleteResult.Deleted, (await store.DeleteAsync(canceled.Id, None)).Result);
        Assert.Empty(await ClaimDue(later));
    }

    /// <summary>Writes a raw status into a row, as a newer version or an operator might.</summary>
    protected abstract Task SetStatusByHandAsync(string id, string status);
}
