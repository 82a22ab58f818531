namespace TextToImage.Diffusion.Pipelines;

/// <summary>How a request's images go through the network at each step.</summary>
public enum SamplingMode
{
    /// <summary>
    /// All images (and their guidance rows) in one forward: the fast way on every device. Image i has the
    /// same noise as alone, and the same picture up to rounding (convolution kernels change their last bits
    /// with the batch size), so a 4-image job's image 2 is not byte-equal to a 1-image job with its seed.
    /// </summary>
    Batched,

    /// <summary>One forward per image: image i's bytes are the same whatever the batch held. Slower for several images.</summary>
    PerImage,
}
