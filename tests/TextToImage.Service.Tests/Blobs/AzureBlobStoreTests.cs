using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using TextToImage.Service.Blobs;
using TextToImage.Service.Tests.Infrastructure;

namespace TextToImage.Service.Tests.Blobs;

/// <summary>The contract against a real Azurite; each test has its own container.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStoreTests(AzuriteFixture azurite) : BlobStoreContractTests
{
    readonly string containerName = AzuriteFixture.NewContainerName();
    AzureBlobStore? store;

    protected override IBlobStore Store => store ??= new AzureBlobStore(azurite.ConnectionString, containerName);

    BlobContainerClient Container => new(azurite.ConnectionString, containerName);

    static readonly HttpClient Http = new();

    [Fact]
    public async Task Put_creates_the_container_on_first_use()
    {
        Assert.False((await Container.ExistsAsync()).Value);

        await Store.PutAsync(BlobKey.Parse("abc/0.png"), RandomBytes(10, seed: 20), Png, None);

        Assert.True((await Container.ExistsAsync()).Value);
        Assert.True((await Container.GetBlobClient("abc/0.png").ExistsAsync()).Value);
    }

    [Fact]
    public async Task A_signed_url_serves_the_bytes_to_a_plain_get()
    {
        var key = BlobKey.Parse("0123abcd/stage-1/2.png");
        var content = RandomBytes(50_000, seed: 21);
        await Store.PutAsync(key, content, Png, None);

        var url = Store.SignedUrl(key, TimeSpan.FromMinutes(10));

        Assert.NotNull(url);
        Assert.Equal($"127.0.0.1:{azurite.Server.Port}", url.Authority);
        Assert.Contains("sig=", url.Query, StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        Assert.Null(request.Headers.Authorization);
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Png, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Without_its_signature_the_url_serves_nothing()
    {
        var key = BlobKey.Parse("abc/0.png");
        await Store.PutAsync(key, RandomBytes(100, seed: 22), Png, None);
        var url = Store.SignedUrl(key, TimeSpan.FromMinutes(10))!;

        using var response = await Http.GetAsync(new UriBuilder(url) { Query = "" }.Uri);

        Assert.False(response.IsSuccessStatusCode, $"An unsigned GET of a private blob answered {(int)response.StatusCode}.");
    }

    [Fact]
    public async Task A_signed_url_for_a_blob_that_does_not_exist_answers_404()
    {
        // Make sure the container exists, so the 404 is about the blob.
        await Store.PutAsync(BlobKey.Parse("abc/0.png"), RandomBytes(10, seed: 23), Png, None);

        var url = Store.SignedUrl(BlobKey.Parse("abc/1.png"), TimeSpan.FromMinutes(10));

        Assert.NotNull(url);
        using var response = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_signed_url_stops_working_once_the_blob_is_gone()
    {
        var key = BlobKey.Parse("abc/0.png");
        await Store.PutAsync(key, RandomBytes(10, seed: 24), Png, None);
        var url = Store.SignedUrl(key, TimeSpan.FromMinutes(10))!;
        using (var before = await Http.GetAsync(url))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await Container.GetBlobClient(key.Value).DeleteAsync();

        using var after = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task Ping_creates_the_container()
    {
        await Store.PingAsync(None);

        Assert.True((await Container.ExistsAsync()).Value);
    }

    [Fact]
    public async Task Ping_recovers_after_a_failed_first_attempt_to_create_the_container()
    {
        // First a server that refuses every request at once (a connection-refused port would make the
        // SDK retry for half a minute); then a real Azurite on the same port.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var refusing = RefuseAll(listener);
        var store = new AzureBlobStore(AzuriteServer.ConnectionStringFor(port), containerName);

        var failure = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => store.PingAsync(None));
        Assert.Equal(400, failure.Status);

        listener.Stop();
        await refusing;
        await using var server = await AzuriteServer.StartAsync(port);
        Assert.Equal(port, server.Port);

        var error = await Record.ExceptionAsync(() => store.PingAsync(None));
        Assert.Null(error); // the failed creation was not remembered
        Assert.True((await new BlobContainerClient(server.ConnectionString, containerName).ExistsAsync()).Value);
    }

    /// <summary>Answers every request with 400 and closes, until the listener stops.</summary>
    static async Task RefuseAll(TcpListener listener)
    {
        var answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray();
        while (true)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(); }
            // Stopped while waiting: SocketException or ObjectDisposedException; stopped between two clients: InvalidOperationException.
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { return; }
            using (client)
            {
                var stream = client.GetStream();
                var buffer = new byte[64 * 1024];
                var request = new List<byte>();
                // Read the request head (a container create has no body), then answer.
                while (!EndsHead(request))
                {
                    var read = await stream.ReadAsync(buffer);
                    if (read == 0) break;
                    request.AddRange(buffer.AsSpan(0, read));
                }
                await stream.WriteAsync(answer);
            }
        }
    }

    static bool EndsHead(List<byte> bytes) =>
        bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n';

    [Fact]
    public Task Concurrent_readers_see_the_old_bytes_or_the_new_never_a_mix() => AssertConcurrentReadersSeeTheOldBytesOrTheNew();
}
