namespace TextToImage.Api.Tests.Support;

/// <summary>
/// The tests that share one PostgreSQL (<see cref="PostgresFixture"/>, from TextToImage.Testing). Declared
/// here because xunit discovers collection definitions only in the test assembly that uses them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}
