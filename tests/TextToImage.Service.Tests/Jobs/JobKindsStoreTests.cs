using Microsoft.Data.Sqlite;
using TextToImage.Service.Jobs;
using TextToImage.Service.Tests.Support;

namespace TextToImage.Service.Tests.Jobs;

/// <summary>SQLite job files written before job kinds and inputs existed.</summary>
public sealed class JobKindsStoreTests : IDisposable
{
    readonly TempFolder folder = new();
    static readonly CancellationToken None = CancellationToken.None;

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task A_job_file_from_before_kinds_opens_and_its_rows_read_as_generations()
    {
        // The table as the previous version created it (no inputs column), with one of its rows.
        var path = folder["old.db"];
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = """
                CREATE TABLE generations (
                    id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER, completed_at INTEGER,
                    parameters TEXT NOT NULL, progress TEXT, images TEXT NOT NULL DEFAULT '[]', stage_images TEXT NOT NULL DEFAULT '[]',
                    error TEXT, metrics TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
                    dispatch_id TEXT, lease_owner TEXT, lease_until INTEGER, idempotency_key TEXT UNIQUE, request_hash TEXT);
                INSERT INTO generations (id, status, created_at, parameters, images) VALUES ('old1', 'succeeded', 1700000000000,
                    '{"prompt":"a cat","negativePrompt":null,"numImages":1,"seed":5,"guidanceScale":4,"steps":20,"sampler":"ddim","resolution":64,"model":"m"}',
                    '[{"key":"old1/0.png","width":64,"height":64,"seed":5}]');
                """;
            create.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        var store = new SqliteJobStore(path);
        var old = (await store.GetAsync("old1", None))!;
        Assert.Equal(JobKinds.Generation, old.Parameters.Kind);
        Assert.Equal(("a cat", 5L, 64), (old.Parameters.Prompt, old.Parameters.Seed, old.Parameters.Resolution));
        Assert.Null(old.Inputs);
        Assert.Null(old.Parameters.Strength);
        Assert.Equal("old1/0.png", Assert.Single(old.Images).Key);

        // New rows go into the same file, inputs and all; opening it again changes nothing.
        var edit = Records.Queued(parameters: Records.Parameters() with { Kind = JobKinds.Upscale, NoiseLevel = 250 }) with { Inputs = new JobInputs("x/input.png", null) };
        await store.CreateAsync(edit, null, 10, None);
        var reopened = new SqliteJobStore(path);
        Assert.Equal(edit.Inputs, (await reopened.GetAsync(edit.Id, None))!.Inputs);
        Assert.Equal(2, (await reopened.ListAsync(null, 10, null, null, None)).Count);
    }
}
