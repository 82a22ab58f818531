namespace TextToImage.Api.Tests.Support;

/// <summary>What every process of a test fleet is started with: one PostgreSQL database, one blob folder, API processes without a worker.</summary>
static class FleetSettings
{
    public static Dictionary<string, string> For(string database, string blobFolder) => new()
    {
        ["Jobs__Storage"] = "postgresql",
        ["ConnectionStrings__Jobs"] = database,
        ["Jobs__InProcessWorker"] = "false",
        ["Storage__Folder"] = blobFolder,
    };
}
