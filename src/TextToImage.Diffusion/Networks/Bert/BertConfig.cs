namespace TextToImage.Diffusion.Networks.Bert;

/// <summary>
/// Hugging Face's <c>BertConfig</c> fields this encoder uses; the defaults are all-MiniLM-L6-v2's
/// (6 layers, 384 wide, 12 heads, erf GELU, LayerNorm eps 1e-12, 512 positions).
/// </summary>
public sealed record BertConfig
{
    public int VocabSize { get; init; } = 30522;
    public int HiddenSize { get; init; } = 384;
    public int NumHiddenLayers { get; init; } = 6;
    public int NumAttentionHeads { get; init; } = 12;
    public int IntermediateSize { get; init; } = 1536;
    public int MaxPositionEmbeddings { get; init; } = 512;
    public int TypeVocabSize { get; init; } = 2;
    public double LayerNormEps { get; init; } = 1e-12;

    public static BertConfig MiniLmL6V2 { get; } = new();
}
