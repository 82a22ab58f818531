using System.Net;
using TextToImage.Service.Blobs;
using TextToImage.Service.Tests.Infrastructure;

namespace TextToImage.Service.Tests.Blobs;

/// <summary>The contract against a real S3-compatible server (npm s3rver on 127.0.0.1); each test has its own bucket.</summary>
[Collection(S3rverCollection.Name)]
public sealed class S3BlobStoreTests(S3rverFixture s3) : BlobStoreContractTests, IDisposable
{
    readonly string bucket = S3rverFixture.NewBucketName();
    S3BlobStore? store;

    protected override IBlobStore Store => store ??= new S3BlobStore(bucket, s3.ServiceUrl, "us-east-1", S3rverFixture.AccessKey, S3rverFixture.SecretKey);

    static readonly HttpClient Http = new();

    public void Dispose() => store?.Dispose();

    [Fact]
    public async Task A_presigned_url_serves_the_bytes_to_a_plain_get_and_an_absent_key_is_a_404_there()
    {
        var key = BlobKey.Parse("0123abcd/stage-1/2.png");
        var content = RandomBytes(50_000, seed: 21);
        await Store.PutAsync(key, content, Png, None);

        var url = Store.SignedUrl(key, TimeSpan.FromMinutes(10));
        Assert.NotNull(url);
        Assert.StartsWith(s3.ServiceUrl, url.ToString());
        Assert.Equal(content, await Http.GetByteArrayAsync(url));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(Store.SignedUrl(BlobKey.Parse("0123abcd/none.png"), TimeSpan.FromMinutes(1)))).StatusCode);
    }

    [Fact]
    public async Task A_server_that_is_not_there_fails_the_ping()
    {
        using var nowhere = new S3BlobStore(bucket, "http://127.0.0.1:9", "us-east-1", S3rverFixture.AccessKey, S3rverFixture.SecretKey);
        await Assert.ThrowsAnyAsync<Exception>(() => nowhere.PingAsync(None));
    }
}
