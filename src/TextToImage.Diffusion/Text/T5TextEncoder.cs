using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks.T5;
using TorchSharp;
using static TorchSharp.torch;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// A T5 v1.1 encoder as DeepFloyd IF conditions on it: <see cref="T5Tokenizer"/> (77 tokens, <c>&lt;/s&gt;</c>,
/// padding) and <see cref="T5EncoderModel"/> from a transformers folder (<c>config.json</c> and
/// <c>model.safetensors</c>, its fp16 variant, or shards). Token states are the last hidden state as IF's
/// pipeline passes it on (padding positions not zeroed: the U-Net masks them), in float32; the pooled vector
/// is the mean over real tokens (IF's U-Nets pool the token states themselves and ignore it). Prompts are cleaned
/// first as IF's pipelines clean them (<see cref="IFCaptionCleaner"/>).
/// </summary>
public sealed class T5TextEncoder : ITextEncoder
{
    public const string TypeName = "t5-v1_1";
    public const string TokenizerModelFile = "spiece.model";

    readonly T5EncoderModel _model;
    readonly T5Tokenizer _tokenizer;
    readonly ComputeTarget _target;

    /// <param name="encoderFolder">transformers' T5EncoderModel folder (IF: <c>text_encoder/</c>).</param>
    /// <param name="tokenizerFolder">The folder with <c>spiece.model</c> (IF: <c>tokenizer/</c>).</param>
    /// <param name="variant">A weights variant (<c>fp16</c>); null: the full-precision files, else the fp16 ones.</param>
    public T5TextEncoder(string encoderFolder, string tokenizerFolder, ComputeTarget target, string? variant = null, int maxTokens = T5Tokenizer.DefaultMaxTokens)
    {
        var spiece = Path.Combine(tokenizerFolder, TokenizerModelFile);
        if (!File.Exists(spiece)) throw new FileNotFoundException($"The T5 tokenizer needs {spiece} (SentencePiece's model, as transformers' T5Tokenizer saves it).");
        _tokenizer = new T5Tokenizer(File.ReadAllBytes(spiece), maxTokens);
        _model = new T5EncoderModel(T5Config.Load(encoderFolder), target.DType);
        try
        {
            StateDictLoader.LoadInto(_model, EncoderWeights(encoderFolder, variant));
            _model.to(target.Home).eval();
            foreach (var parameter in _model.parameters()) parameter.requires_grad = false;
        }
        catch
        {
            _model.Dispose();
            throw;
        }
        _target = target;
    }

    public int EmbeddingDim => _model.Config.DModel;
    public int MaxTokens => _tokenizer.MaxTokens;

    /// <summary>
    /// The encoder's tensors only (a full T5 checkpoint's decoder and head are never read), with the input
    /// embedding under <c>shared.weight</c>: checkpoints store it there, as its tied copy
    /// <c>encoder.embed_tokens.weight</c>, or both.
    /// </summary>
    static Dictionary<string, StoredTensor> EncoderWeights(string folder, string? variant)
    {
        const string Shared = "shared.weight", Tied = "encoder.embed_tokens.weight";
        var weights = PretrainedWeights.List(folder, "model", variant, name => name == Shared || name.StartsWith("encoder.", StringComparison.Ordinal));
        if (weights.Remove(Tied, out var tied)) weights.TryAdd(Shared, tied);
        return weights;
    }

    public TextEmbeddings Encode(IReadOnlyList<string> prompts)
    {
        if (prompts.Count == 0) throw new ArgumentException("At least one prompt.", nameof(prompts));
        using var finalizers = FinalizerGate.Hold();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var placed = _target.OnDevice(_model);
        // As diffusers' IF pipelines do by default (clean_caption=True), for prompts and negative prompts alike.
        var encoded = prompts.Select(prompt => _tokenizer.Encode(IFCaptionCleaner.Clean(prompt))).ToList();
        var ids = tensor(encoded.SelectMany(e => e.Ids).Select(id => (long)id).ToArray(), [prompts.Count, MaxTokens], device: _target.Device);
        var mask = tensor(encoded.SelectMany(e => e.Mask).Select(m => m != 0).ToArray(), [prompts.Count, MaxTokens], device: _target.Device);
        var hidden = _model.call(ids, mask).to_type(ScalarType.Float32);
        var weights = mask.to_type(ScalarType.Float32).unsqueeze(-1);
        var pooled = (hidden * weights).sum(1) / weights.sum(1).clamp_min(1);
        return new TextEmbeddings(hidden, mask, pooled);
    }

    public void Dispose() => _model.Dispose();
}
