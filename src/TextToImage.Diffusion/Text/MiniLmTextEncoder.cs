using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// all-MiniLM-L6-v2, the frozen pretrained text encoder: BERT's last hidden state per token (384
/// wide), its mask, and the sentence-transformers embedding (mean over real tokens, L2-normalised)
/// as the pooled vector. Runs on the engine's device and precision; outputs are float32, and
/// padding positions are zero. See <see cref="MiniLmWeights"/> for where the weights come from
/// and <see cref="BertPromptTokenizer"/> for truncation.
/// </summary>
public sealed class MiniLmTextEncoder : ITextEncoder
{
    public const string TypeName = "minilm-l6-v2";

    /// <summary>
    /// 77 tokens, CLIP's and IF's prompt budget for diffusion conditioning (sentence-transformers uses
    /// 256; the position table has 512): longer prompts are truncated.
    /// </summary>
    public const int DefaultMaxTokens = 77;

    readonly BertModel _model;
    readonly BertPromptTokenizer _tokenizer;
    readonly ComputeTarget _target;

    /// <param name="folder">The model's text_encoder folder, where the converted weights are cached.</param>
    public MiniLmTextEncoder(string folder, ComputeTarget target, int maxTokens = DefaultMaxTokens)
    {
        var config = BertConfig.MiniLmL6V2;
        if (maxTokens < 2 || maxTokens > config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(maxTokens), $"max_tokens must be between 2 and {config.MaxPositionEmbeddings}, not {maxTokens}.");
        using (var vocabulary = MiniLmPackage.OpenVocabulary())
            _tokenizer = new BertPromptTokenizer(vocabulary, maxTokens);
        _model = new BertModel(config);
        try
        {
            MiniLmWeights.LoadInto(_model, folder);
            _model.to(target.Home).to(target.DType).eval();
            // Frozen: no optimiser ever sees it, and no autograd graph is built through it.
            foreach (var parameter in _model.parameters()) parameter.requires_grad = false;
        }
        catch
        {
            _model.Dispose();
            throw;
        }
        _target = target;
        MaxTokens = maxTokens;
    }

    public int EmbeddingDim => _model.Config.HiddenSize;
    public int MaxTokens { get; }

    /// <summary>The token ids of one prompt ([CLS] ... [SEP], truncated to <see cref="MaxTokens"/>).</summary>
    public IReadOnlyList<int> TokenIds(string prompt) => _tokenizer.Encode(prompt);

    /// <summary>Parameter bytes held (on the target device).</summary>
    public long ParameterBytes => _model.parameters().Sum(p => p.numel() * p.element_size());

    public TextEmbeddings Encode(IReadOnlyList<string> prompts)
    {
        if (prompts.Count == 0) throw new ArgumentException("At least one prompt.", nameof(prompts));
        using var finalizers = FinalizerGate.Hold();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var placed = _target.OnDevice(_model);
        var (ids, mask) = _tokenizer.EncodeBatch(prompts);
        var maskTensor = tensor(mask, device: _target.Device);
        var hidden = _model.call(tensor(ids, device: _target.Device), maskTensor).to_type(ScalarType.Float32);
        var weights = maskTensor.to_type(ScalarType.Float32).unsqueeze(-1);
        // sentence-transformers: mean over real tokens, then L2 normalisation.
        var pooled = nn.functional.normalize((hidden * weights).sum(1) / weights.sum(1).clamp_min(1e-9), p: 2, dim: 1);
        var padding = MaxTokens - hidden.shape[1];
        var states = nn.functional.pad(hidden * weights, [0, 0, 0, padding]);
        return new TextEmbeddings(states, nn.functional.pad(maskTensor, [0, padding]), pooled);
    }

    public void Dispose() => _model.Dispose();
}
