using System.Text.Json.Nodes;
using TextToImage.Diffusion.IO;
using TextToImage.Diffusion.Native;
using TextToImage.Diffusion.Pipelines;

namespace TextToImage.Diffusion.Tests.Pipelines;

public sealed class ModelFolderTests
{
    [Fact]
    public void A_saved_random_cascade_loads_with_identical_weights()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp["a"], "tiny", seed: 3);
        RandomCascade.Create(temp["b"], "tiny", seed: 3);
        RandomCascade.Create(temp["c"], "tiny", seed: 4);
        using var a = ModelFolder.Load(temp["a"], ComputeTarget.Cpu);
        using var b = ModelFolder.Load(temp["b"], ComputeTarget.Cpu);
        using var c = ModelFolder.Load(temp["c"], ComputeTarget.Cpu);

        Assert.Equal("random-tiny", a.Name);
        Assert.Equal([StageKind.Base, StageKind.SuperResolution, StageKind.SuperResolution], a.Stages.Select(s => s.Kind));
        var weightsA = a.Stages[1].Network.state_dict();
        var weightsB = b.Stages[1].Network.state_dict();
        var weightsC = c.Stages[1].Network.state_dict();
        Assert.All(weightsA, kv => Assert.True(TensorAssert.Equal(kv.Value, weightsB[kv.Key]), kv.Key));
        Assert.Contains(weightsA, kv => !TensorAssert.Equal(kv.Value, weightsC[kv.Key]));
    }

    [Fact]
    public void Saving_over_an_existing_model_needs_overwrite_and_then_replaces_it_whole()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny");
        Assert.Throws<IOException>(() => RandomCascade.Create(temp.Path, "tiny"));

        RandomCascade.Create(temp.Path, "small", overwrite: true);
        Assert.Equal(["base", "sr_128", "text_encoder"], Directory.GetDirectories(temp.Path).Select(Path.GetFileName).Order());
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
        using var model = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        Assert.Equal([32, 128], model.Resolutions);
    }

    [Fact]
    public void Parts_that_do_not_fit_together_are_refused_at_load()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny");
        var encoderPath = Path.Combine(temp.Path, "text_encoder", "config.json");
        var encoder = JsonNode.Parse(File.ReadAllText(encoderPath))!;
        encoder["embedding_dim"] = 48;
        File.WriteAllText(encoderPath, encoder.ToJsonString());
        Assert.Contains("width 32, but the text encoder gives 48",
            Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu)).Message);

        RandomCascade.Create(temp.Path, "tiny", overwrite: true);
        var configPath = Path.Combine(temp.Path, "sr_32", ModelFolder.NetworkConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["down_block_types"]![1] = "CrossAttnDownBlock2D";
        File.WriteAllText(configPath, config.ToJsonString());
        var unsupported = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu));
        Assert.Contains("Stage 'sr_32'", unsupported.Message);
        Assert.Contains("CrossAttnDownBlock2D", unsupported.Message);
    }

    [Fact]
    public void Missing_or_broken_files_are_named_in_the_error()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny");

        File.Delete(Path.Combine(temp.Path, "sr_32", ModelFolder.WeightsFile));
        var missing = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu));
        Assert.Contains(Path.Combine("sr_32", ModelFolder.WeightsFile), missing.Message);

        RandomCascade.Create(temp.Path, "tiny", overwrite: true);
        File.Delete(Path.Combine(temp.Path, "base", ModelFolder.SchedulerConfigFile));
        Assert.Contains("Stage 'base': model file missing",
            Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu)).Message);

        RandomCascade.Create(temp.Path, "tiny", overwrite: true);
        var schedulerPath = Path.Combine(temp.Path, "sr_64", ModelFolder.SchedulerConfigFile);
        File.WriteAllText(schedulerPath, File.ReadAllText(schedulerPath).Replace("squaredcos_cap_v2", "sigmoid"));
        var schedule = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu));
        Assert.Contains("Stage 'sr_64'", schedule.Message);
        Assert.Contains("sigmoid", schedule.Message);

        File.WriteAllText(Path.Combine(temp.Path, ModelIndex.FileName), "{ not json");
        var broken = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu));
        Assert.Contains(ModelIndex.FileName, broken.Message);

        Assert.Throws<DirectoryNotFoundException>(() => ModelFolder.Load(temp["nowhere"], ComputeTarget.Cpu));
    }

    [Fact]
    public void Weights_that_do_not_fit_the_config_are_refused()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny");
        // Widen the base network in its config only: the stored weights no longer match it.
        var configPath = Path.Combine(temp.Path, "base", ModelFolder.NetworkConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        var channels = config["block_out_channels"]!.AsArray();
        channels[0] = channels[0]!.GetValue<int>() * 2;
        File.WriteAllText(configPath, config.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu));
        Assert.Contains("conv_in.weight", error.Message);
    }

    [Fact]
    public void A_stage_can_be_told_not_to_use_the_text_mask()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny", seed: 2);
        var request = TinyCascade.Request(resolution: 16);
        using var masked = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        using var withMask = new CascadePipeline(masked).Generate(request);

        ModelIndexEdits.SetStageEntry(temp.Path, 0, "use_text_mask", false);
        using var unmasked = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        using var withoutMask = new CascadePipeline(unmasked).Generate(request);

        Assert.False(unmasked.Stages[0].UseTextMask);
        // "a red apple" fills 4 of 16 tokens: attending to the padding changes the result.
        Assert.False(withMask.Final.Images.allclose(withoutMask.Final.Images));
    }

    [Fact]
    public void A_stage_told_to_attend_to_the_sentence_embedding_sees_one_token_per_prompt()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny", seed: 2);
        var request = TinyCascade.Request(resolution: 16);
        using var tokens = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        using var fromTokens = new CascadePipeline(tokens).Generate(request);

        ModelIndexEdits.SetStageEntry(temp.Path, 0, "text_input", "sentence");
        using var sentence = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        using var fromSentence = new CascadePipeline(sentence).Generate(request);

        Assert.Equal(StageTextInput.Sentence, sentence.Stages[0].TextInput);
        Assert.Equal(StageTextInput.Tokens, sentence.Stages[1].TextInput);
        using var encoded = sentence.TextEncoder.Encode(["a red apple", ""]);
        using var rows = StageSampler.Conditioning(encoded, [0], [1], guided: true, ComputeTarget.Cpu, sentence.Stages[0]);
        Assert.Equal([2L, 1L, encoded.Pooled.shape[1]], rows.TokenStates.shape);
        Assert.True(rows.Mask.all().item<bool>());
        using var unit = TorchSharp.torch.nn.functional.normalize(encoded.Pooled, p: 2, dim: 1);
        Assert.True(rows.TokenStates.squeeze(1).allclose(unit * Math.Sqrt(encoded.Pooled.shape[1]), rtol: 1e-5, atol: 1e-6));
        Assert.False(fromTokens.Final.Images.allclose(fromSentence.Final.Images));

        ModelIndexEdits.SetStageEntry(temp.Path, 0, "text_input", "words");
        var error = Assert.Throws<InvalidDataException>(() => ModelFolder.Load(temp.Path, ComputeTarget.Cpu));
        Assert.Contains(ModelIndex.FileName, error.Message);
        Assert.Contains("text_input", error.Message);
    }

    [Fact]
    public void A_stage_told_to_attend_to_tokens_with_the_sentence_embedding_gets_it_in_place_of_the_first_token()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny", seed: 2);
        ModelIndexEdits.SetStageEntry(temp.Path, 0, "text_input", "tokens_with_sentence");
        using var model = ModelFolder.Load(temp.Path, ComputeTarget.Cpu);
        using var encoded = model.TextEncoder.Encode(["a red apple", ""]);

        using var rows = StageSampler.Conditioning(encoded, [0], [1], guided: true, ComputeTarget.Cpu, model.Stages[0]);

        Assert.Equal(StageTextInput.TokensWithSentence, model.Stages[0].TextInput);
        Assert.Equal(encoded.TokenStates.shape, rows.TokenStates.shape);
        using var sentence = encoded.AsSentenceToken();
        Assert.True(rows.TokenStates[.., 0].allclose(sentence.TokenStates.squeeze(1), rtol: 1e-5, atol: 1e-6));
        Assert.True(rows.TokenStates[.., 1..].allclose(encoded.TokenStates[.., 1..], rtol: 1e-5, atol: 1e-6));
        Assert.True(rows.Mask[.., 0].all().item<bool>());
        Assert.True(rows.Mask[.., 1..].eq(encoded.Mask[.., 1..]).all().item<bool>());
        using var generated = new CascadePipeline(model).Generate(TinyCascade.Request(resolution: 16));
        Assert.Equal(16, generated.Final.Images.shape[^1]);
    }

    [Fact]
    public void The_folder_layout_is_diffusers_like()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny");
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(temp.Path, "model_index.json")))!;
        Assert.Equal("base", index["stages"]![0]!["folder"]!.GetValue<string>());
        Assert.Equal("super_resolution", index["stages"]![1]!["kind"]!.GetValue<string>());
        foreach (var stage in new[] { "base", "sr_32", "sr_64" })
        {
            var unet = JsonNode.Parse(File.ReadAllText(Path.Combine(temp.Path, stage, "config.json")))!;
            Assert.NotNull(unet["block_out_channels"]);
            var scheduler = JsonNode.Parse(File.ReadAllText(Path.Combine(temp.Path, stage, "scheduler_config.json")))!;
            Assert.Equal("DDPMScheduler", scheduler["_class_name"]!.GetValue<string>());
            Assert.True(File.Exists(Path.Combine(temp.Path, stage, "diffusion_pytorch_model.safetensors")));
        }
    }

    [Fact]
    public void The_index_is_written_as_people_type_it()
    {
        using var temp = new TempFolder();
        RandomCascade.Create(temp.Path, "tiny");
        (ModelIndex.Load(temp.Path) with { Description = "Base 32 px + super-resolution 32->128 px, \"flat\" emoji" }).Save(temp.Path);
        var text = File.ReadAllText(Path.Combine(temp.Path, ModelIndex.FileName));
        Assert.Contains("Base 32 px + super-resolution 32->128 px, \\\"flat\\\" emoji", text);
        Assert.Equal("Base 32 px + super-resolution 32->128 px, \"flat\" emoji", ModelIndex.Load(temp.Path).Description);
    }
}
