using System.Text.Json.Serialization;

namespace TextToImage.Api.OpenAI;

/// <summary>OpenAI's error body, <c>{"error": {"message", "type", "param", "code"}}</c>, which its SDKs read into their exceptions.</summary>
sealed record OpenAIErrorBody([property: JsonPropertyName("error")] OpenAIError Error);

sealed record OpenAIError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code)
{
    public const string InvalidRequest = "invalid_request_error";

    /// <summary>An answer of <paramref name="status"/> with this error as its body.</summary>
    public IResult ToResult(int status) => TypedResults.Json(new OpenAIErrorBody(this), statusCode: status);

    public static IResult BadRequest(string message, string? param, string? code = null) =>
        new OpenAIError(message, InvalidRequest, param, code).ToResult(StatusCodes.Status400BadRequest);
}
