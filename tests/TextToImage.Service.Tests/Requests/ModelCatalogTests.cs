using Microsoft.Extensions.Logging;
using TextToImage.Diffusion.Pipelines;
using TextToImage.Service.Models;

namespace TextToImage.Service.Tests.Requests;

public sealed class ModelCatalogTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{
    [Fact]
    public void A_second_copy_of_the_same_model_is_not_warned_of_and_another_model_of_that_name_is()
    {
        using var folders = new TempFolder();
        Folders.Copy(model.ModelFolder, folders["copy/tiny"]);
        Folders.Copy(model.ModelFolder, folders["changed/tiny"]);
        var index = Path.Combine(folders["changed/tiny"], ModelIndex.FileName);
        File.AppendAllText(index, " ");   // the same JSON, other bytes: another model folder for all the catalog can tell

        var same = new ListLogger();
        var catalog = new ModelCatalog([model.Folder["models"], folders["copy"]], null, same);
        Assert.Equal(model.ModelFolder, catalog.Find(catalog.DefaultName)!.Folder);
        Assert.DoesNotContain(same.Entries, e => e.Level >= LogLevel.Warning);

        var different = new ListLogger();
        new ModelCatalog([model.Folder["models"], folders["changed"]], null, different);
        var warning = Assert.Single(different.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("is ignored", warning.Message);
        Assert.Contains(folders["changed/tiny"], warning.Message);
    }

    [Fact]
    public void A_model_that_names_a_prompt_vocabulary_says_so_without_loading_it()
    {
        using var folders = new TempFolder();
        Folders.Copy(model.ModelFolder, folders["models/tiny"]);
        var catalog = new ModelCatalog([folders["models"]], null, new ListLogger());
        Assert.False(catalog.Find(catalog.DefaultName)!.PromptVocabulary);

        var index = ModelIndex.Load(folders["models/tiny"]);
        (index with { PromptVocabularyFolder = "vocabulary" }).Save(folders["models/tiny"]);
        var named = new ModelCatalog([folders["models"]], null, new ListLogger());
        Assert.True(named.Find(named.DefaultName)!.PromptVocabulary);
    }

    sealed class ListLogger : ILogger<ModelCatalog>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
