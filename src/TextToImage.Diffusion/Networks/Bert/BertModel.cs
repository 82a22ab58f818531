using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Networks.Bert;

/// <summary>
/// A BERT encoder without its pooler (sentence-transformers pools by averaging tokens instead):
/// token ids and mask in, last hidden state out. State-dict keys are Hugging Face's
/// (<c>embeddings.*</c>, <c>encoder.layer.N.*</c>), so exported weights load without a mapping.
/// </summary>
public sealed class BertModel : nn.Module<Tensor, Tensor, Tensor>
{
    readonly BertEmbeddings embeddings;
    readonly BertEncoder encoder;

    public BertModel(BertConfig config) : base(nameof(BertModel))
    {
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        RegisterComponents();
    }

    public BertConfig Config { get; }

    /// <param name="inputIds">[B, L] int64 token ids.</param>
    /// <param name="mask">[B, L] bool, true for real tokens.</param>
    /// <returns>[B, L, D] last hidden state.</returns>
    public override Tensor forward(Tensor inputIds, Tensor mask)
    {
        if (inputIds.shape[1] > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"{inputIds.shape[1]} tokens exceed the {Config.MaxPositionEmbeddings} positions of this BERT.");
        return encoder.call(embeddings.call(inputIds), mask.to_type(ScalarType.Bool)[.., TensorIndex.None, TensorIndex.None, ..]);
    }
}

/// <summary>The stack of layers (<c>encoder.layer.N</c>).</summary>
public sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    readonly ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor keyMask)
    {
        foreach (var block in layer) hidden = block.call(hidden, keyMask);
        return hidden;
    }
}
