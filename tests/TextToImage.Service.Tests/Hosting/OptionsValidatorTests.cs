using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using TextToImage.Service.Hosting;

namespace TextToImage.Service.Tests.Hosting;

/// <summary>Each section's validator: the defaults pass, and each bad value is reported with its key and value.</summary>
public sealed class OptionsValidatorTests
{
    static IConfiguration Configuration(string? jobsDatabase = null) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Jobs"] = jobsDatabase }).Build();

    static IReadOnlyList<string> Failures(ValidateOptionsResult result) => result.Succeeded ? [] : result.Failures!.ToList();

    [Fact]
    public void The_defaults_are_usable()
    {
        Assert.True(new JobsOptionsValidator(Configuration()).Validate(null, new JobsOptions()).Succeeded);
        Assert.True(new ModelsOptionsValidator().Validate(null, new ModelsOptions()).Succeeded);
        Assert.True(new BlobStorageOptionsValidator().Validate(null, new BlobStorageOptions()).Succeeded);
    }

    [Fact]
    public void Each_bad_jobs_setting_is_named_with_its_value()
    {
        var problems = Failures(new JobsOptionsValidator(Configuration()).Validate(null, new JobsOptions
        {
            Storage = (JobStoreEngine)7, MaxBatchImages = 0, MaxQueueLength = 0, MaxAttempts = 11, LeaseDuration = TimeSpan.FromSeconds(1),
            QueuePollInterval = TimeSpan.Zero,
        }));
        Assert.Equal(6, problems.Count);
        Assert.Contains("Jobs:Storage '7' is not supported; use 'sqlite', 'postgresql'", problems);
        Assert.Contains("Jobs:MaxBatchImages must be between 1 and 64, not 0", problems);
        Assert.Contains(problems, p => p.StartsWith("Jobs:MaxAttempts") && p.EndsWith("not 11"));
        Assert.Contains(problems, p => p.StartsWith("Jobs:QueuePollInterval"));
    }

    [Fact]
    public void PostgreSQL_needs_its_connection_string()
    {
        var options = new JobsOptions { Storage = JobStoreEngine.Postgresql };
        Assert.Contains("ConnectionStrings:Jobs", Assert.Single(Failures(new JobsOptionsValidator(Configuration()).Validate(null, options))));
        Assert.True(new JobsOptionsValidator(Configuration("Host=127.0.0.1;Database=jobs")).Validate(null, options).Succeeded);
    }

    [Fact]
    public void Each_provider_gets_what_it_needs()
    {
        var validator = new BlobStorageOptionsValidator();
        Assert.Equal(["Storage:Provider 'azure' needs Storage:ConnectionString"],
            Failures(validator.Validate(null, new BlobStorageOptions { Provider = BlobStorageProvider.Azure })));
        var s3 = Failures(validator.Validate(null, new BlobStorageOptions
        {
            Provider = BlobStorageProvider.S3, AccessKey = "key", ServiceUrl = "minio:9000", SignedUrlLifetime = TimeSpan.FromDays(8),
        }));
        Assert.Equal(3, s3.Count);
        Assert.Contains(s3, p => p.StartsWith("Storage:AccessKey and Storage:SecretKey go together"));
        Assert.Contains("Storage:ServiceUrl must be an http or https address, not 'minio:9000'", s3);
        Assert.Contains(s3, p => p.StartsWith("Storage:SignedUrlLifetime"));
        Assert.True(validator.Validate(null, new BlobStorageOptions
        {
            Provider = BlobStorageProvider.S3, AccessKey = "key", SecretKey = "secret", ServiceUrl = "http://127.0.0.1:9000",
        }).Succeeded);
        Assert.Contains("Storage:Provider '9' is not supported; use 'filesystem', 'azure', 's3'",
            Failures(validator.Validate(null, new BlobStorageOptions { Provider = (BlobStorageProvider)9 })));
    }

    [Fact]
    public void Model_choices_must_be_ones_the_engine_knows()
    {
        var problems = Failures(new ModelsOptionsValidator().Validate(null,
            new ModelsOptions { Device = (ModelDevice)5, DType = (ModelPrecision)9, Folders = ["models", " "] }));
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Models:Device '5'"));
        Assert.Contains("Models:DType '9' is not supported; use 'auto', 'float32', 'float16', 'bfloat16'", problems);
    }
}
