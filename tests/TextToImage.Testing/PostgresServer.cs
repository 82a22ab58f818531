using Npgsql;
using Xunit;

namespace TextToImage.Testing;

/// <summary>
/// A real PostgreSQL server on 127.0.0.1 in a throw-away cluster, started by deploy/postgres.sh
/// (which installs Debian's postgresql when it is missing). Each test gets a database of its own
/// (<see cref="CreateDatabaseAsync"/>). Disposing stops the server and removes the cluster.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    readonly ScriptServer server;

    PostgresServer(ScriptServer server) => this.server = server;

    public int Port => server.Port;

    public static async Task<PostgresServer> StartAsync(int port = 0) => new(await ScriptServer.StartAsync("postgres.sh", "POSTGRES_PARENT_PID",
        "Debian's postgresql package (installed with apt-get when missing: root or password-less sudo)", port));

    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database }.ConnectionString;

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionStringFor(name);
    }

    public string Log => server.Log;

    public ValueTask DisposeAsync() => server.DisposeAsync();
}

/// <summary>
/// One PostgreSQL for every test of a collection. If it cannot start, every test of the collection
/// fails with the reason (there is no silent skip). Each test assembly that uses it declares its
/// collection (xunit finds collection definitions only in the test assembly itself):
/// <code>
/// [CollectionDefinition(Name)]
/// public sealed class PostgresCollection : ICollectionFixture&lt;PostgresFixture&gt; { public const string Name = "PostgreSQL"; }
/// </code>
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    PostgresServer? server;

    public PostgresServer Server => server ?? throw new InvalidOperationException("PostgreSQL has not started.");

    public Task<string> CreateDatabaseAsync() => Server.CreateDatabaseAsync();

    public async Task InitializeAsync() => server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (server is not null)
            await server.DisposeAsync();
    }
}
