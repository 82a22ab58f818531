using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Text;

namespace TextToImage.Diffusion.Tests.Text;

/// <summary>
/// One MiniLM encoder (its weights converted once into a temp text_encoder folder) and ONNX
/// Runtime running the package's own ONNX file: the reference the TorchSharp network must match.
/// </summary>
public sealed class MiniLmFixture : IDisposable
{
    readonly TempFolder _folder = new();

    public MiniLmFixture()
    {
        Encoder = new MiniLmTextEncoder(Folder, ComputeTarget.Cpu);
        using var onnx = MiniLmPackage.OpenModel();
        using var bytes = new MemoryStream();
        onnx.CopyTo(bytes);
        Reference = new InferenceSession(bytes.ToArray());
    }

    public string Folder => _folder.Path;
    public MiniLmTextEncoder Encoder { get; }
    public InferenceSession Reference { get; }

    /// <summary>ONNX Runtime's last hidden state [B, L, 384] for padded ids and their mask (token types 0).</summary>
    public float[,,] RunReference(long[,] ids, bool[,] mask)
    {
        var (batch, length) = (ids.GetLength(0), ids.GetLength(1));
        var shape = new[] { batch, length };
        var flatIds = ids.Cast<long>().ToArray();
        var flatMask = mask.Cast<bool>().Select(m => m ? 1L : 0L).ToArray();
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(flatIds, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(flatMask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[flatIds.Length], shape)),
        };
        using var results = Reference.Run(inputs);
        // The token embeddings are the [B, L, 384] output (the export may also carry the pooler's [B, 384]).
        var output = results.Select(r => r.AsTensor<float>()).First(t => t.Dimensions.Length == 3);
        var states = new float[batch, length, output.Dimensions[2]];
        for (var b = 0; b < batch; b++)
            for (var t = 0; t < length; t++)
                for (var d = 0; d < output.Dimensions[2]; d++)
                    states[b, t, d] = output[b, t, d];
        return states;
    }

    public void Dispose()
    {
        Reference.Dispose();
        Encoder.Dispose();
        _folder.Dispose();
    }
}
