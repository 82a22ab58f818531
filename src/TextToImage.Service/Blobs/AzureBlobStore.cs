using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace TextToImage.Service.Blobs;

/// <summary>Blobs in an Azure Blob Storage container (or Azurite); single-shot uploads replace a blob atomically.</summary>
public sealed class AzureBlobStore : IBlobStore
{
    readonly BlobContainerClient container;
    Task? creation;

    public AzureBlobStore(string connectionString, string containerName)
    {
        container = new BlobContainerClient(connectionString, containerName);
    }

    /// <summary>
    /// Creates the container once. A failed or cancelled attempt is not remembered (storage that was
    /// down at start-up must not fail every later call); concurrent first calls may both create,
    /// which CreateIfNotExists makes harmless.
    /// </summary>
    Task EnsureContainerAsync(CancellationToken cancellation)
    {
        var current = Volatile.Read(ref creation);
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            var fresh = container.CreateIfNotExistsAsync();
            current = Interlocked.CompareExchange(ref creation, fresh, current) == current ? fresh : Volatile.Read(ref creation)!;
        }
        return current.WaitAsync(cancellation);
    }

    public async Task PutAsync(BlobKey key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellation)
    {
        await EnsureContainerAsync(cancellation);
        await container.GetBlobClient(key.Value).UploadAsync(BinaryData.FromBytes(content),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, cancellation);
    }

    public async Task<BlobProperties?> GetPropertiesAsync(BlobKey key, CancellationToken cancellation)
    {
        try
        {
            var properties = (await container.GetBlobClient(key.Value).GetPropertiesAsync(cancellationToken: cancellation)).Value;
            return new BlobProperties(properties.ContentLength, properties.ContentType, properties.ETag.ToString("H"), properties.LastModified);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(BlobKey key, CancellationToken cancellation)
    {
        await EnsureContainerAsync(cancellation);
        return (await container.GetBlobClient(key.Value).DeleteIfExistsAsync(cancellationToken: cancellation)).Value;
    }

    public async Task<Stream?> OpenReadAsync(BlobKey key, CancellationToken cancellation)
    {
        try
        {
            return (await container.GetBlobClient(key.Value).DownloadStreamingAsync(cancellationToken: cancellation)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public Uri? SignedUrl(BlobKey key, TimeSpan lifetime)
    {
        var blob = container.GetBlobClient(key.Value);
        return blob.CanGenerateSasUri ? blob.GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow + lifetime) : null;
    }

    public async Task PingAsync(CancellationToken cancellation)
    {
        await EnsureContainerAsync(cancellation);
        await container.GetPropertiesAsync(cancellationToken: cancellation);
    }
}
