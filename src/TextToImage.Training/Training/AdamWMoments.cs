using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TextToImage.Training.Training;

/// <summary>
/// Puts AdamW's moments in the contiguous layout. TorchSharp makes them zeros_like(parameter), which copies the
/// channels-last layout of a convolution weight (<see cref="TextToImage.Diffusion.Networks.ChannelsLastConv2d"/>),
/// and its optimizer file writes and reads tensors as raw bytes, which it refuses for any other layout
/// ("Bytes() called on non-contiguous tensor"). The update takes either layout.
/// </summary>
static class AdamWMoments
{
    public static void MakeContiguous(OptimizerHelper optimizer)
    {
        foreach (var state in optimizer.state_dict().State.OfType<AdamW.State>())
        {
            Contiguous(ref state.exp_avg);
            Contiguous(ref state.exp_avg_sq);
            if (state.max_exp_avg_sq is not null) Contiguous(ref state.max_exp_avg_sq);
        }
    }

    static void Contiguous(ref Tensor moment)
    {
        if (moment.is_contiguous()) return;
        var contiguous = moment.contiguous().DetachFromDisposeScope();
        moment.Dispose();
        moment = contiguous;
    }
}
