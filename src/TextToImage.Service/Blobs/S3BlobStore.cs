using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace TextToImage.Service.Blobs;

/// <summary>
/// Blobs in an S3-compatible bucket: AWS, MinIO, Cloudflare R2, Ceph. A PUT replaces an object
/// atomically; the bucket is created on first use when it is missing.
/// </summary>
/// <remarks>
/// Checksums are computed only where the service requires them and uploads are not chunk-encoded:
/// AWSSDK.S3 4.x sends trailing CRC checksums in aws-chunked bodies by default, which S3-compatible
/// servers that do not know the scheme store as the object's bytes (seen with s3rver).
/// </remarks>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    readonly AmazonS3Client client;
    readonly string bucket;
    readonly Protocol protocol;
    Task? creation;

    /// <param name="serviceUrl">The endpoint of an S3-compatible service (path-style); null for AWS itself.</param>
    /// <param name="accessKey">With <paramref name="secretKey"/>; both null: the SDK's credential chain (AWS_ACCESS_KEY_ID, profiles, instance roles).</param>
    public S3BlobStore(string bucket, string? serviceUrl, string region, string? accessKey, string? secretKey)
    {
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (serviceUrl is null)
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        else
        {
            config.ServiceURL = serviceUrl;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = region;
        }
        client = accessKey is null ? new AmazonS3Client(config) : new AmazonS3Client(new BasicAWSCredentials(accessKey, secretKey), config);
        this.bucket = bucket;
        protocol = serviceUrl is not null && serviceUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Protocol.HTTP : Protocol.HTTPS;
    }

    /// <summary>Creates the bucket once; a failed attempt is forgotten, so storage that was down at start does not fail every later call.</summary>
    Task EnsureBucketAsync(CancellationToken cancellation)
    {
        var current = Volatile.Read(ref creation);
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            var fresh = CreateBucketIfMissingAsync();
            current = Interlocked.CompareExchange(ref creation, fresh, current) == current ? fresh : Volatile.Read(ref creation)!;
        }
        return current.WaitAsync(cancellation);
    }

    async Task CreateBucketIfMissingAsync()
    {
        try
        {
            await client.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = bucket });
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            try
            {
                await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
            }
            catch (AmazonS3Exception conflict) when (conflict.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
            {
                // Another process created it meanwhile.
            }
        }
    }

    public async Task PutAsync(BlobKey key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellation)
    {
        await EnsureBucketAsync(cancellation);
        using var body = new MemoryStream(content.ToArray(), writable: false);
        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = key.Value, InputStream = body, ContentType = contentType, UseChunkEncoding = false, AutoCloseStream = false,
        }, cancellation);
    }

    public async Task<BlobProperties?> GetPropertiesAsync(BlobKey key, CancellationToken cancellation)
    {
        await EnsureBucketAsync(cancellation);
        try
        {
            var head = await client.GetObjectMetadataAsync(bucket, key.Value, cancellation);
            var modified = head.LastModified is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc).ToUniversalTime()) : DateTimeOffset.UnixEpoch;
            return new BlobProperties(head.ContentLength, head.Headers.ContentType ?? ContentTypes.FromFileName(key.Value), Quoted(head.ETag), modified);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<Stream?> OpenReadAsync(BlobKey key, CancellationToken cancellation)
    {
        await EnsureBucketAsync(cancellation);
        try
        {
            // Disposing the response stream ends the response (and returns its connection).
            return (await client.GetObjectAsync(bucket, key.Value, cancellation)).ResponseStream;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(BlobKey key, CancellationToken cancellation)
    {
        // S3 answers a DELETE with 204 whether or not the object existed: ask first, to say which.
        if (await GetPropertiesAsync(key, cancellation) is null) return false;
        await client.DeleteObjectAsync(bucket, key.Value, cancellation);
        return true;
    }

    public Uri? SignedUrl(BlobKey key, TimeSpan lifetime) =>
        new(client.GetPreSignedURL(new GetPreSignedUrlRequest
        {
            BucketName = bucket, Key = key.Value, Verb = HttpVerb.GET, Expires = DateTime.UtcNow + lifetime, Protocol = protocol,
        }));

    public async Task PingAsync(CancellationToken cancellation)
    {
        await EnsureBucketAsync(cancellation);
        await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, cancellation);
    }

    /// <summary>Entity tags as HTTP wants them: quoted (some services send them bare).</summary>
    static string Quoted(string etag) => etag.StartsWith('"') ? etag : $"\"{etag}\"";

    public void Dispose() => client.Dispose();
}
