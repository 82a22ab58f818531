using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TextToImage.Service.Jobs;
using TextToImage.Service.Tests.Infrastructure;
using TextToImage.Service.Tests.Support;

namespace TextToImage.Service.Tests.Jobs;

/// <summary>The job store contract on a real PostgreSQL (deploy/postgres.sh), plus what only a shared database has to get right.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreTests(PostgresFixture postgres) : JobStoreContract
{
    readonly List<PostgresJobStore> opened = [];
    string connectionString = "";

    protected override async Task<IJobStore> CreateStoreAsync()
    {
        connectionString = await postgres.CreateDatabaseAsync();
        return await OpenAgainAsync();
    }

    protected override Task<IJobStore> OpenAgainAsync() => Task.FromResult<IJobStore>(Open(connectionString));

    PostgresJobStore Open(string connection)
    {
        var opened = new PostgresJobStore(connection, NullLogger<PostgresJobStore>.Instance);
        this.opened.Add(opened);
        return opened;
    }

    protected override async Task SetStatusByHandAsync(string id, string status)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var update = new NpgsqlCommand($"UPDATE {PostgresSchema.Name}.generations SET status = @status WHERE id = @id", connection);
        update.Parameters.AddWithValue("status", status);
        update.Parameters.AddWithValue("id", id);
        Assert.Equal(1, await update.ExecuteNonQueryAsync());
    }

    public override async Task DisposeAsync()
    {
        foreach (var store in opened) await store.DisposeAsync();
    }

    [Fact]
    public async Task Processes_starting_together_on_a_new_database_migrate_it_once()
    {
        var database = await postgres.CreateDatabaseAsync();
        var stores = Enumerable.Range(0, 8).Select(_ => Open(database)).ToList();
        await Task.WhenAll(stores.Select(s => Task.Run(() => s.PingAsync(None))));

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var versions = new NpgsqlCommand($"SELECT version FROM {PostgresSchema.Name}.schema_migrations ORDER BY version", connection);
        var applied = new List<int>();
        await using (var reader = await versions.ExecuteReaderAsync())
            while (await reader.ReadAsync()) applied.Add(reader.GetInt32(0));
        Assert.Equal(Enumerable.Range(1, PostgresSchema.LatestVersion), applied);
        Assert.Equal(0, await PostgresSchema.MigrateAsync(NpgsqlDataSource.Create(database), NullLogger.Instance, None));
    }

    [Fact]
    public async Task Concurrent_submissions_never_overfill_the_queue()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => Open(connectionString)).ToList();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => stores[i % stores.Count].CreateAsync(Records.Queued(), null, 10, None))));
        Assert.Equal(10, outcomes.Count(o => o.Result == CreateResult.Created));
        Assert.Equal(10, await store.CountQueuedAsync(None));
    }

    [Fact]
    public async Task A_database_that_is_down_fails_each_call_and_is_used_once_it_is_up()
    {
        var port = FreePort();
        var down = Open(new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres", Timeout = 3 }.ConnectionString);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => down.PingAsync(None));
        Assert.True(error is NpgsqlException or SocketException, error.ToString());

        await using var server = await PostgresServer.StartAsync(port);
        await down.PingAsync(None);
        var record = Records.Queued();
        Assert.Equal(CreateResult.Created, (await down.CreateAsync(record, null, 10, None)).Result);
        Assert.Equal(record.Id, (await down.GetAsync(record.Id, None))?.Id);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
