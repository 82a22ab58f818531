using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace TextToImage.Api.Infrastructure;

/// <summary>
/// Turns request-reading failures (malformed or mis-shaped JSON, a wrong content type, a body over
/// the limit, an unparsable parameter) into problem details with the reason, instead of a 500.
/// </summary>
sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellation)
    {
        if (exception is not BadHttpRequestException bad) return false;
        // A form whose reading hit the body limit arrives as "failed to read the form" around the 413.
        if (bad.InnerException is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge) bad = tooLarge;
        context.Response.StatusCode = bad.StatusCode;
        var (detail, field) = RequestReadProblem.Describe(bad);
        var problem = new ProblemDetails { Status = bad.StatusCode, Title = TitleOf(bad.StatusCode), Detail = detail };
        if (field is not null) problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, Exception = exception, ProblemDetails = problem });
    }

    static string TitleOf(int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
        StatusCodes.Status415UnsupportedMediaType => "The request body has an unsupported content type.",
        _ => "The request could not be read.",
    };
}

/// <summary>
/// What was wrong with a request that could not be read, as the person who wrote it would say it:
/// field names as they appear in the JSON, kinds of value ("a number") instead of .NET type names,
/// and no framework advice ("Did you mean to use a Service?").
/// </summary>
static partial class RequestReadProblem
{
    /// <summary>The message, and the field it is about when there is one.</summary>
    public static (string Detail, string? Field) Describe(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json) return DescribeJson(json);
        if (bad.Message.StartsWith("Implicit body inferred", StringComparison.Ordinal) || bad.Message.Contains("was not provided from body", StringComparison.Ordinal))
            return ("The request has no body: send a JSON object, for example {\"prompt\": \"a red apple\"}.", null);
        if (FailedToBind().Match(bad.Message) is { Success: true } bind)
            return ($"'{bind.Groups[2].Value}' is not a valid value for '{bind.Groups[1].Value}'.", bind.Groups[1].Value);
        return (bad.Message, null);
    }

    static (string, string?) DescribeJson(JsonException json)
    {
        var field = json.Path is { Length: > 1 } path ? path.TrimStart('$').TrimStart('.') : null;
        var message = json.Message;
        if (UnmappedMember().Match(message) is { Success: true } unknown)
        {
            var name = unknown.Groups[1].Value;
            return ($"'{name}' is not a field of this request (names are camelCase, as in the API reference).", name);
        }
        if (NotConvertible().Match(message) is { Success: true } conversion)
            return field is null
                ? ("The body must be a JSON object, for example {\"prompt\": \"a red apple\"}.", null)
                : ($"'{field}' must be {KindOf(conversion.Groups[1].Value)}.", field);
        // The reader's own words for broken JSON ("Expected end of data..."), with where, not the .NET path syntax.
        var reason = ReaderAdvice().Replace(PositionSuffix().Replace(message, ""), "");
        var where = json.LineNumber is { } line && json.BytePositionInLine is { } position ? $" (line {line + 1}, byte {position + 1})" : "";
        return ($"The body is not valid JSON{where}: {reason}", null);
    }

    /// <summary>How a person would name what a .NET type accepts.</summary>
    static string KindOf(string typeName)
    {
        var inner = NullableOf().Match(typeName) is { Success: true } nullable ? nullable.Groups[1].Value : typeName;
        return inner switch
        {
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.UInt64" => "a whole number",
            "System.String" => "a string",
            "System.Boolean" => "true or false",
            _ when inner.StartsWith("System.Collections", StringComparison.Ordinal) || inner.EndsWith("[]", StringComparison.Ordinal) => "an array",
            _ => "a JSON object",
        };
    }

    [GeneratedRegex(@"The JSON property '([^']+)' could not be mapped")]
    private static partial Regex UnmappedMember();

    [GeneratedRegex(@"could not be converted to (\S+?)\. Path:")]
    private static partial Regex NotConvertible();

    [GeneratedRegex(@"^System\.Nullable`1\[(.+)\]$")]
    private static partial Regex NullableOf();

    [GeneratedRegex(@"\s*Path: .*$")]
    private static partial Regex PositionSuffix();

    // System.Text.Json's advice to the programmer ("Change the reader options."), not to the sender.
    [GeneratedRegex(@"\s*Change the reader options\.")]
    private static partial Regex ReaderAdvice();

    [GeneratedRegex(@"Failed to bind parameter ""\S+ (\w+)"" from ""([^""]*)""")]
    private static partial Regex FailedToBind();
}
