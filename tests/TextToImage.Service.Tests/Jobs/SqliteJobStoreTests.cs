using Microsoft.Data.Sqlite;
using TextToImage.Service.Jobs;

namespace TextToImage.Service.Tests.Jobs;

/// <summary>The job store contract on a SQLite file.</summary>
public sealed class SqliteJobStoreTests : JobStoreContract
{
    readonly TempFolder folder = new();

    protected override Task<IJobStore> CreateStoreAsync() => OpenAgainAsync();

    protected override Task<IJobStore> OpenAgainAsync() => Task.FromResult<IJobStore>(new SqliteJobStore(folder["jobs.db"]));

    protected override async Task SetStatusByHandAsync(string id, string status)
    {
        await using var connection = new SqliteConnection($"Data Source={folder["jobs.db"]}");
        await connection.OpenAsync();
        await using var update = connection.CreateCommand();
        update.CommandText = "UPDATE generations SET status = $status WHERE id = $id";
        update.Parameters.AddWithValue("$status", status);
        update.Parameters.AddWithValue("$id", id);
        Assert.Equal(1, await update.ExecuteNonQueryAsync());
    }

    public override Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        folder.Dispose();
        return Task.CompletedTask;
    }
}
