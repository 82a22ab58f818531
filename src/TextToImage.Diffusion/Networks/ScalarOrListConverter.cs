using System.Text.Json;
using System.Text.Json.Serialization;

namespace TextToImage.Diffusion.Networks;

/// <summary>
/// diffusers writes several per-level settings either as one value for every level or as a
/// list (<c>"layers_per_block": 3</c> or <c>[2, 2, 3, 5, 5]</c>). Read both into an array;
/// a one-element array means "every level" and is written back as the plain value.
/// </summary>
public sealed class ScalarOrListConverter<T> : JsonConverter<T[]>
{
    public override T[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            return reader.TokenType == JsonTokenType.StartArray
                ? JsonSerializer.Deserialize<T[]>(ref reader, options) ?? []
                : [JsonSerializer.Deserialize<T>(ref reader, options)!];
        }
        catch (JsonException e)
        {
            // Without a message of its own, the serializer writes one that names the key.
            throw new JsonException(null, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, T[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1) JsonSerializer.Serialize(writer, value[0], options);
        else JsonSerializer.Serialize(writer, value, options);
    }
}
