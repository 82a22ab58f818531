using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using TextToImage.Api.Tests.Support;
using Xunit.Abstractions;

namespace TextToImage.Api.Tests;

/// <summary>
/// The fleet under fire: real processes on 127.0.0.1 (PostgreSQL, two API processes, three workers,
/// one blob folder), 40 jobs submitted across both APIs, and a random worker SIGKILLed every few
/// seconds and started again. Every job must end succeeded exactly once, with its images and
/// nothing else, and no two workers may ever run one job at the same time.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class FleetChaosTests(PostgresFixture postgres, ITestOutputHelper output) : IDisposable
{
    const int JobCount = 40;
    const int WorkerCount = 3;
    static readonly TimeSpan ReadyGuard = TimeSpan.FromMinutes(2);
    static readonly TimeSpan FleetGuard = TimeSpan.FromMinutes(10);

    readonly string root = Directory.CreateTempSubdirectory("t2i-chaos-").FullName;
    readonly Stopwatch clock = Stopwatch.StartNew();
    // Events are placed on the machine's UTC clock, which the workers' log stamps share: a line is
    // stamped when the worker logged it, not when the test read it (a reader thread on a loaded
    // machine can read a killed worker's last lines after the kill).
    readonly DateTime origin = DateTime.UtcNow;
    const string StampFormat = "yyyy-MM-ddTHH:mm:ss.fffffff";
    readonly List<WorkerEvent> events = [];
    readonly Dictionary<int, HostProcess> started = [];
    readonly HashSet<int> ready = [];

    string Blobs => Path.Combine(root, "blobs");

    public void Dispose()
    {
        foreach (var host in started.Values) host.Dispose();
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { }
    }

    Dictionary<string, string> Settings(string database) => new(FleetSettings.For(database, Blobs))
    {
        // Kills come every few seconds: a job must be able to outlive several.
        ["Jobs__MaxAttempts"] = "10",
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = StampFormat + " ",
        ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
    };

    /// <summary>One line of a worker's log (at its own stamp), or its kill or exit (when the test saw it).</summary>
    sealed record WorkerEvent(TimeSpan At, int Instance, string Kind, string? Job, int? Attempt);

    HostProcess StartWorker(string database, int instance)
    {
        var worker = HostProcess.StartWorker(Path.Combine(root, $"worker-{instance}"), Settings(database), line => Record(instance, line));
        // A process that is gone holds nothing: its exit ends its runs, whether the test killed it or not.
        worker.Process.EnableRaisingEvents = true;
        worker.Process.Exited += (_, _) =>
        {
            lock (events) events.Add(new WorkerEvent(Now, instance, "exited", null, null));
        };
        lock (started) started[instance] = worker;
        return worker;
    }

    void Record(int instance, string line)
    {
        var at = Stamp().Match(line) is { Success: true } stamp
            ? DateTime.ParseExact(stamp.Groups["at"].Value, StampFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal) - origin
            : Now;
        if (line.Contains("Application started"))
            lock (events)
            {
                ready.Add(instance);
                events.Add(new WorkerEvent(at, instance, "ready", null, null));
            }
        WorkerEvent? seen = Claimed().Match(line) is { Success: true } claim
            ? new WorkerEvent(at, instance, "claim", claim.Groups["id"].Value, int.Parse(claim.Groups["attempt"].Value))
            : Ended().Match(line) is { Success: true } end
                ? new WorkerEvent(at, instance, end.Groups["how"].Value, end.Groups["id"].Value, null)
                : null;
        if (seen is not null) lock (events) events.Add(seen);
    }

    TimeSpan Now => DateTime.UtcNow - origin;

    [GeneratedRegex(@"^(?<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}) ")]
    private static partial Regex Stamp();

    [GeneratedRegex(@"Generation (?<id>[0-9a-f]{32}): claimed by \S+ \(attempt (?<attempt>\d+)\)")]
    private static partial Regex Claimed();

    // The ends of a run the worker itself reports; a SIGKILL is recorded by the test instead.
    [GeneratedRegex(@"Generation (?<id>[0-9a-f]{32})(?<how> succeeded| failed| canceled|: worker stopping|: the lease was lost|: could not record)")]
    private static partial Regex Ended();

    [Fact]
    public async Task Forty_jobs_through_two_apis_and_three_workers_killed_at_random_each_succeed_exactly_once()
    {
        var database = await postgres.CreateDatabaseAsync();
        using var apiA = HostProcess.StartApi(Path.Combine(root, "api-a"), Settings(database));
        using var apiB = HostProcess.StartApi(Path.Combine(root, "api-b"), Settings(database));
        await apiA.WaitUntilReadyAsync(ReadyGuard);
        await apiB.WaitUntilReadyAsync(ReadyGuard);
        using var a = apiA.Client();
        using var b = apiB.Client();

        var instance = 0;
        var workers = Enumerable.Range(0, WorkerCount).Select(_ => StartWorker(database, instance++)).ToArray();
        var instanceOf = workers.Select((_, slot) => slot).ToArray();
        var submitted = clock.Elapsed;
        var ids = new List<string>();
        for (var i = 0; i < JobCount; i++)
            ids.Add(await (i % 2 == 0 ? a : b).Submit(new { prompt = $"chaos {i}", seed = i, steps = 8, sampler = "ddim", resolution = 32, numImages = 1 }));

        // Chaos until every job has ended: every 3-6 s a random worker (of those up and serving: killing
        // one still starting tests nothing) is killed and replaced at once.
        var random = new Random(20261202);
        var kills = 0;
        while (!await AllFinished(a, ids))
        {
            if (clock.Elapsed - submitted > FleetGuard)
                Assert.Fail($"Not finished after {FleetGuard.TotalMinutes} minutes: {await Summary(a, ids)}{Environment.NewLine}{workers[0].OutputTail()}");
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(3000, 6000)));
            int[] up;
            lock (events) up = Enumerable.Range(0, WorkerCount).Where(s => ready.Contains(instanceOf[s])).ToArray();
            if (up.Length == 0) continue;
            var slot = up[random.Next(up.Length)];
            lock (events) events.Add(new WorkerEvent(Now, instanceOf[slot], "killed", null, null));
            workers[slot].Kill();
            kills++;
            instanceOf[slot] = instance;
            workers[slot] = StartWorker(database, instance++);
        }
        var elapsed = clock.Elapsed - submitted;
        output.WriteLine($"{JobCount} jobs in {elapsed.TotalSeconds:0.0} s with {WorkerCount} workers and {kills} SIGKILLs: " +
                         $"{JobCount / elapsed.TotalMinutes:0.0} jobs/min.");

        // A worker logs a success after recording it: the last lines may still be in its console logger's queue or the
        // pipe when the store already says every job ended. Wait for them, except from a worker killed since its claim.
        bool Logged(IReadOnlyList<WorkerEvent> seen, string id) =>
            seen.Any(e => e.Job == id && e.Kind == " succeeded")
            || seen.Where(e => e.Job == id && e.Kind == "claim").MaxBy(e => e.Attempt) is { } last
               && seen.Any(e => e.Kind == "killed" && e.Instance == last.Instance);
        var waited = clock.Elapsed;
        while (clock.Elapsed - waited < ReadyGuard)
        {
            List<WorkerEvent> seen;
            lock (events) seen = [.. events];
            if (ids.All(id => Logged(seen, id))) break;
            await Task.Delay(100);
        }

        List<WorkerEvent> log;
        lock (events) log = [.. events];
        var totalAttempts = 0;
        foreach (var id in ids)
        {
            var job = await b.Generation(id);
            Assert.True(ApiClient.Status(job) == "succeeded", $"{id}: {job}");
            var attempts = job["attempts"]!.GetValue<int>();
            totalAttempts += attempts;
            var claims = log.Where(e => e.Job == id && e.Kind == "claim").ToList();
            Assert.True(claims.Count == attempts, $"{id}: {attempts} attempts recorded, {claims.Count} claims logged");
            Assert.Equal(Enumerable.Range(1, attempts), claims.Select(c => c.Attempt!.Value).Order());
            // Exactly once: never two successes, and one logged unless the worker was killed between recording it and logging it.
            var successes = log.Count(e => e.Job == id && e.Kind == " succeeded");
            Assert.True(successes == 1 || (successes == 0 && Logged(log, id)), $"{id}: {successes} successes logged");
            AssertNoOverlappingRuns(id, log, instance => started[instance].OutputTail(20_000));
            // Its images and nothing else: re-runs overwrite the same keys.
            var files = Directory.GetFiles(Path.Combine(Blobs, id), "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(Path.Combine(Blobs, id), f)).Order().ToList();
            Assert.Equal(["0.png", Path.Combine("stage-0", "0.png")], files);
        }
        // Only the jobs' folders (and the folder of writes in progress, where a killed worker may have left a part).
        Assert.Equal(ids.Order(), Directory.GetDirectories(Blobs).Select(Path.GetFileName).Where(name => name != ".partial").Order());
        output.WriteLine($"Attempts: {totalAttempts} for {JobCount} jobs ({totalAttempts - JobCount} re-runs after kills).");
        var exitedUnasked = log.Where(e => e.Kind == "exited").Select(e => e.Instance).Except(log.Where(e => e.Kind == "killed").Select(e => e.Instance)).ToList();
        output.WriteLine($"Workers that exited without being killed: {(exitedUnasked.Count == 0 ? "none" : string.Join(", ", exitedUnasked))}.");
        Assert.True(kills > 0);
    }

    /// <summary>
    /// Each run of a job lasts from its claim to the end its worker logged, or to its worker's kill;
    /// runs of one job by different worker processes must not overlap.
    /// </summary>
    static void AssertNoOverlappingRuns(string id, List<WorkerEvent> log, Func<int, string> outputOf)
    {
        var runs = new List<(int Instance, TimeSpan From, TimeSpan To)>();
        foreach (var claim in log.Where(e => e.Job == id && e.Kind == "claim"))
        {
            var end = log.Where(e => e.Instance == claim.Instance && e.At >= claim.At && (e.Job == id && e.Kind != "claim" || e.Kind is "killed" or "exited"))
                .Select(e => (TimeSpan?)e.At).FirstOrDefault();
            runs.Add((claim.Instance, claim.At, end ?? TimeSpan.MaxValue));
        }
        foreach (var first in runs)
        foreach (var second in runs.Where(r => r.Instance != first.Instance))
            Assert.False(first.From < second.To && second.From < first.To,
                $"{id}: worker {first.Instance} ran it {first.From}-{first.To} while worker {second.Instance} ran it {second.From}-{second.To}." +
                $"{Environment.NewLine}Worker {first.Instance}:{Environment.NewLine}{outputOf(first.Instance)}" +
                $"{Environment.NewLine}Worker {second.Instance}:{Environment.NewLine}{outputOf(second.Instance)}");
    }

    async Task<string> Summary(ApiClient api, List<string> ids)
    {
        var statuses = new List<string>();
        foreach (var id in ids) statuses.Add(ApiClient.Status(await api.Generation(id)));
        lock (events)
            return string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()} {g.Key}")) +
                   $"; {events.Count(e => e.Kind == "claim")} claims, {events.Count(e => e.Kind == " succeeded")} successes, {events.Count(e => e.Kind == "killed")} kills logged" +
                   Environment.NewLine + string.Join(Environment.NewLine, events.Select(e => $"{e.At.TotalSeconds,8:0.00} w{e.Instance} {e.Kind} {e.Job} {e.Attempt}"));
    }

    static async Task<bool> AllFinished(ApiClient api, List<string> ids)
    {
        foreach (var id in ids)
            if (ApiClient.Status(await api.Generation(id)) is "queued" or "running")
                return false;
        return true;
    }
}
