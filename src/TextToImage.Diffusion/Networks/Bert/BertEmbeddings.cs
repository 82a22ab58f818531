using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks.Bert;

/// <summary>Word + position + token-type embeddings, then LayerNorm (dropout is inactive at inference).</summary>
public sealed class BertEmbeddings : nn.Module<Tensor, Tensor>
{
    readonly Embedding word_embeddings;
    readonly Embedding position_embeddings;
    readonly Embedding token_type_embeddings;
    readonly LayerNorm LayerNorm;

    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = Layers.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>[B, L] token ids -> [B, L, D]. One segment (token type 0), positions 0..L-1.</summary>
    public override Tensor forward(Tensor inputIds)
    {
        using var positions = arange(inputIds.shape[1], ScalarType.Int64, inputIds.device).unsqueeze(0);
        using var types = zeros_like(inputIds);
        return LayerNorm.call(word_embeddings.call(inputIds) + position_embeddings.call(positions) + token_type_embeddings.call(types));
    }
}
