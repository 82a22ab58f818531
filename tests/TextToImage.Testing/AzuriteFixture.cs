using Xunit;

namespace TextToImage.Testing;

/// <summary>
/// One Azurite for every test of a collection, on a free port. If it cannot start, every test of the
/// collection fails with the reason (there is no silent skip).
/// </summary>
/// <remarks>
/// xunit finds collection definitions only in the test assembly itself, so each test project that
/// shares a server declares its own (one line):
/// <code>
/// [CollectionDefinition(Name)]
/// public sealed class AzuriteCollection : ICollectionFixture&lt;AzuriteFixture&gt; { public const string Name = "Azurite"; }
/// </code>
/// </remarks>
public sealed class AzuriteFixture : IAsyncLifetime
{
    AzuriteServer? server;

    public AzuriteServer Server => server ?? throw new InvalidOperationException("Azurite has not started.");

    public string ConnectionString => Server.ConnectionString;

    /// <summary>A container name no other test uses (3-63 lowercase letters, digits and '-').</summary>
    public static string NewContainerName() => $"t-{Guid.NewGuid():N}";

    public async Task InitializeAsync() => server = await AzuriteServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (server is not null)
            await server.DisposeAsync();
    }
}
