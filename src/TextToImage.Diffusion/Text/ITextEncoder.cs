namespace TextToImage.Diffusion.Text;

/// <summary>
/// A frozen text encoder: prompts in, per-token embeddings, their mask and a pooled
/// embedding out. Implementations are deterministic and thread-compatible (one call at a time).
/// </summary>
public interface ITextEncoder : IDisposable
{
    /// <summary>Width of the token and pooled embeddings.</summary>
    int EmbeddingDim { get; }

    /// <summary>Token count every prompt is padded or truncated to.</summary>
    int MaxTokens { get; }

    /// <summary>Encodes the prompts as one batch, in order. The empty string is a valid prompt.</summary>
    TextEmbeddings Encode(IReadOnlyList<string> prompts);
}
