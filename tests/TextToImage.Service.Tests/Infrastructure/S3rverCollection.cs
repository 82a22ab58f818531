namespace TextToImage.Service.Tests.Infrastructure;

/// <summary>The tests that share one s3rver (<see cref="S3rverFixture"/>); declared here, as xunit wants.</summary>
[CollectionDefinition(Name)]
public sealed class S3rverCollection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}
