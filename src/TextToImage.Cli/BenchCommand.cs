using System.CommandLine;
using Spectre.Console;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Networks;
using TextToImage.Diffusion.Text;
using static TorchSharp.torch;

namespace TextToImage.Cli;

/// <summary>
/// <c>t2i bench</c>: U-Net forward time and achieved GFLOP/s for the base and super-resolution
/// configurations, as ratios to two ceilings: the best matmul of several sizes measured in the same
/// run (what the machine reached) and the CPU's FMA peak on paper (<see cref="CpuPeak"/>); ratios
/// survive a noisy, shared machine. <c>--end-to-end</c> adds whole generations.
/// </summary>
static class BenchCommand
{
    public static Command Create()
    {
        var batch = new Option<int>("--batch", "-b") { Description = "Batch size of each U-Net forward (2 = one guided image, what generation runs).", DefaultValueFactory = _ => 2 };
        var iterations = new Option<int>("--iterations", "-i") { Description = "Timed repetitions per row (median reported).", DefaultValueFactory = _ => 10 };
        var textLength = new Option<int>("--text-tokens") { Description = "Text tokens attended to.", DefaultValueFactory = _ => 32 };
        var textDim = new Option<int>("--text-dim") { Description = "Text embedding width (MiniLM: 384).", DefaultValueFactory = _ => 384 };
        var targetOptions = new TargetOptions(withOffload: false);
        var textEncoder = new Option<bool>("--text-encoder") { Description = "Also time the MiniLM text encoder (1 and 16 prompts) and report its memory." };
        var matmulSizes = new Option<int[]>("--matmul-sizes")
        {
            Description = "Square matmuls whose best run is the measured ceiling.", DefaultValueFactory = _ => [512, 1024, 2048, 4096], AllowMultipleArgumentsPerToken = true,
        };
        var endToEnd = new Option<bool>("--end-to-end") { Description = "Also time whole generations with a model's defaults: 1 image, 4 images batched and per-image." };
        var model = new Option<DirectoryInfo?>("--model", "-m") { Description = $"Model of --end-to-end; default: the bundled {BundledModel.Name}." };
        var command = new Command("bench", "Measure U-Net forward throughput against the machine's matmul ceiling and FMA peak.")
        {
            batch, iterations, textLength, textDim, textEncoder, matmulSizes, endToEnd, model,
        };
        targetOptions.AddTo(command);
        command.SetAction(parsed => CliErrors.Run(() =>
        {
            var target = targetOptions.Resolve(parsed);
            var bench = new UNetBenchmark(target, parsed.GetValue(iterations));
            var text = (parsed.GetValue(textLength), parsed.GetValue(textDim));
            var sizes = parsed.GetRequiredValue(matmulSizes);
            var matmuls = sizes.Select(n => bench.Matmul(n)).ToList();
            var rows = new List<BenchmarkRow>(matmuls);
            var superResolution = UNetPresets.SuperResolution(32, 128, text.Item2);
            rows.Add(bench.Forward("base 32px", UNetPresets.Base32(text.Item2), parsed.GetValue(batch), text.Item1));
            rows.Add(bench.Forward("super-res 32->128", superResolution, parsed.GetValue(batch), text.Item1));
            // auto on a CPU with bfloat16 dot products runs the super-resolution stages in bfloat16: time them as they run,
            // against a matmul ceiling of that precision.
            if (target.StageDType(superResolution: true) is var srType && srType != target.DType)
            {
                matmuls.Add(bench.Matmul(sizes.Max(), srType));
                rows.Add(matmuls[^1]);
                rows.Add(bench.Forward($"super-res in {srType.ToString().ToLowerInvariant()}, as auto runs it", superResolution,
                    parsed.GetValue(batch), text.Item1, srType));
            }
            var ceilings = matmuls.GroupBy(r => r.DType).ToDictionary(g => g.Key, g => g.Max(r => r.GflopsPerSecond));
            string? memory = null;
            if (parsed.GetValue(textEncoder)) memory = AddTextEncoderRows(bench, target, rows);
            var peak = target.Device.type == TorchSharp.DeviceType.CPU ? CpuPeak.Read(TorchSharp.torch.get_num_threads()) : null;
            Render(rows, target, ceilings, peak);
            AnsiConsole.WriteLine(FormattableString.Invariant($"matmul ceiling: {ceilings[target.DType]:F1} GFLOP/s (the best of every size's runs)."));
            foreach (var (type, gflops) in ceilings.Where(c => c.Key != target.DType))
                AnsiConsole.WriteLine(FormattableString.Invariant($"{type.ToString().ToLowerInvariant()} matmul ceiling: {gflops:F1} GFLOP/s (the largest size; the {type.ToString().ToLowerInvariant()} rows are ratios to it)."));
            AnsiConsole.WriteLine(peak is null ? "FMA peak: not known for this device." : $"FMA peak: {peak.Description}.");
            if (memory is not null) AnsiConsole.WriteLine(memory);
            if (parsed.GetValue(endToEnd)) EndToEndBenchmark.Run(BundledModel.Resolve(parsed.GetValue(model)), target, Math.Min(3, parsed.GetValue(iterations)));
            return 0;
        }));
        return command;
    }

    /// <summary>Loads MiniLM into a fresh folder (so the load includes the ONNX conversion), times it, returns its memory line.</summary>
    static string AddTextEncoderRows(UNetBenchmark bench, ComputeTarget target, List<BenchmarkRow> rows)
    {
        var folder = Directory.CreateTempSubdirectory("t2i-bench-minilm-").FullName;
        try
        {
            var rssBefore = Environment.WorkingSet;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var encoder = new MiniLmTextEncoder(folder, target);
            var (convertSeconds, rssDelta) = (clock.Elapsed.TotalSeconds, Environment.WorkingSet - rssBefore);
            clock.Restart();
            new MiniLmTextEncoder(folder, target).Dispose();
            var cachedSeconds = clock.Elapsed.TotalSeconds;

            string[] prompts = ["a watercolor painting of a red fox in a snowy forest at dawn", .. Enumerable.Range(0, 15)
                .Select(i => $"a photograph of {i + 2} small boats on a quiet lake, soft morning light")];
            rows.Add(bench.Encode(encoder, prompts[..1]));
            rows.Add(bench.Encode(encoder, prompts));
            return $"MiniLM: {encoder.ParameterBytes / 1e6:F1} MB of parameters; first load (ONNX conversion) {convertSeconds:F2} s, " +
                   $"process RSS +{rssDelta / 1e6:F0} MB; load from the safetensors cache {cachedSeconds:F2} s.";
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Each row as ratios to the matmul ceiling of its precision and, in the target's precision, to the FMA peak (worked out for float32 lanes).</summary>
    static void Render(IReadOnlyList<BenchmarkRow> rows, ComputeTarget target, IReadOnlyDictionary<ScalarType, double> ceilings, CpuPeak? peak)
    {
        // Redirected output has no width to detect; keep the table on one line per row in logs.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 150);
        var table = new Table().Title($"t2i bench on {target}, {Environment.ProcessorCount} logical cores");
        foreach (var column in new[] { "workload", "parameters", "input", "ms", "GFLOP / call", "GFLOP/s", "of matmul ceiling", "of FMA peak" })
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (var row in rows)
            table.AddRow(row.Name, row.Parameters > 0 ? $"{row.Parameters / 1e6:F2} M" : "-", row.Input,
                $"{row.MedianSeconds * 1e3:F1}", $"{row.Gflop:F2}", $"{row.GflopsPerSecond:F1}", $"{row.GflopsPerSecond / ceilings[row.DType]:P0}",
                peak is null || row.DType != target.DType ? "-" : $"{row.GflopsPerSecond / peak.Gflops:P0}");
        AnsiConsole.Write(table);
    }
}
