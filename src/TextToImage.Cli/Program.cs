using System.CommandLine;
using TextToImage.Cli;

var root = new RootCommand("t2i: text-to-image diffusion on TorchSharp, without the service.")
{
    GenerateCommand.Create(),
    BenchCommand.Create(),
    NewModelCommand.Create(),
    EditCommand.Create(),
    UpscaleCommand.Create(),
    DatasetCommand.Create(),
    TrainCommand.Create(),
    TrainCommand.CreateExport(),
    EvalCommand.Create(),
    VocabularyCommand.Create(),
};
return root.Parse(args).Invoke();
