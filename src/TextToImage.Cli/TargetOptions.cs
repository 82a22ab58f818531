using System.CommandLine;
using TextToImage.Diffusion.Native;

namespace TextToImage.Cli;

/// <summary>
/// Where and in which precision a command's networks run: <c>--device</c>, <c>--dtype</c> and, for the commands
/// that generate, <c>--offload</c>; the same words as the service's <c>Models:Device</c>, <c>Models:DType</c> and
/// <c>Models:Offload</c>.
/// </summary>
sealed class TargetOptions
{
    readonly Option<string> device = new("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };

    readonly Option<string> dtype = new("--dtype")
    {
        Description = "auto, float32, float16 or bfloat16 (auto: float16 on GPUs; float32 on CPUs, with the super-resolution stages in bfloat16 where the CPU has AVX512-BF16 or AMX).",
        DefaultValueFactory = _ => "auto",
    };

    readonly Option<bool>? offload;

    public TargetOptions(bool withOffload)
    {
        if (withOffload)
            offload = new Option<bool>("--offload")
            {
                Description = "On a GPU: keep the networks in CPU memory and move each to the GPU only while it runs (for GPUs that cannot hold the whole cascade).",
            };
    }

    public void AddTo(Command command)
    {
        command.Options.Add(device);
        command.Options.Add(dtype);
        if (offload is not null) command.Options.Add(offload);
    }

    public ComputeTarget Resolve(ParseResult parsed) =>
        ComputeTarget.Resolve(parsed.GetRequiredValue(device), parsed.GetRequiredValue(dtype)) with { Offload = offload is not null && parsed.GetValue(offload) };
}
