using TextToImage.Service.Requests;

namespace TextToImage.Api.Infrastructure;

/// <summary>Reads an uploaded file part into memory, never past the upload limit.</summary>
static class FormFiles
{
    public static async Task<byte[]> ReadAsync(IFormFile file, string field, UploadLimits limits, CancellationToken cancellation)
    {
        // The body limit already bounds this; checked again so a file is never copied past the limit.
        if (file.Length > limits.MaxBytes)
            throw new UploadRejectedException(UploadedImages.TooLarge, field, $"The {field} file has {file.Length} bytes; the limit is {limits.MaxBytes}.");
        using var copy = new MemoryStream((int)file.Length);
        await using var stream = file.OpenReadStream();
        await stream.CopyToAsync(copy, cancellation);
        return copy.ToArray();
    }
}
