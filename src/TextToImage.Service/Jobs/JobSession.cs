using System.Data.Common;

namespace TextToImage.Service.Jobs;

/// <summary>A JSON value for a JSON column (null stays SQL NULL); each store says how its database takes one.</summary>
readonly record struct JsonText(string? Json);

/// <summary>
/// One open connection (and, for read-modify-write operations, its transaction) with the request's
/// token: the commands both job stores are made of. SQL names parameters <c>@name</c>; the store
/// turns each value into its database's parameter.
/// </summary>
sealed class JobSession(DbConnection connection, DbTransaction? transaction, string table,
    Func<string, object?, DbParameter> parameter, CancellationToken cancellation)
{
    DbCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.Add(parameter(name, value));
        return command;
    }

    public async Task<int> Execute(string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellation);
    }

    public async Task<object?> Value(string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteScalarAsync(cancellation);
    }

    public async Task<int> Scalar(string sql, params (string, object?)[] parameters) => Convert.ToInt32(await Value(sql, parameters));

    public async Task<IReadOnlyList<GenerationRecord>> All(string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        var records = new List<GenerationRecord>();
        while (await reader.ReadAsync(cancellation)) records.Add(JobRows.Read(reader));
        return records;
    }

    /// <summary>The one record <paramref name="where"/> selects (SQL after WHERE), with its request hash.</summary>
    public async Task<(GenerationRecord? Record, string? RequestHash)> SingleWithHash(string where, (string, object?) parameter)
    {
        await using var command = Command($"SELECT {JobRows.Columns} FROM {table} WHERE {where}", [parameter]);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        return await reader.ReadAsync(cancellation) ? (JobRows.Read(reader), JobRows.RequestHash(reader)) : (null, null);
    }
}
