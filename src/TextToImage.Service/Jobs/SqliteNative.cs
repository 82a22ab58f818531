namespace TextToImage.Service.Jobs;

/// <summary>
/// Microsoft.Data.Sqlite.Core and Hangfire's SQLite storage (sqlite-net) share one native SQLite
/// through SQLitePCLRaw 3, whose provider must be chosen before the first connection opens.
/// </summary>
static class SqliteNative
{
    static readonly Lazy<bool> Initialized = new(() =>
    {
        SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_e_sqlite3());
        return true;
    });

    public static void EnsureInitialized() => _ = Initialized.Value;
}
