using Google.Protobuf;
using Microsoft.ML.Tokenizers;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// T5's tokenizer as DeepFloyd IF uses it (transformers' T5Tokenizer, max_length 77, truncation,
/// padding to max_length): SentencePiece Unigram pieces of the prompt, then <c>&lt;/s&gt;</c>, at most
/// 76 pieces, padded with <c>&lt;pad&gt;</c> (id 0) to 77, and a mask that is 1 over the real tokens.
/// </summary>
public sealed class T5Tokenizer
{
    public const int DefaultMaxTokens = 77;

    readonly SentencePieceTokenizer tokenizer;

    public int MaxTokens { get; }

    public int EndOfSentenceId => tokenizer.EndOfSentenceId;

    public int PadId { get; }

    /// <param name="spieceModel">The bytes of a SentencePiece model (T5's <c>spiece.model</c>).</param>
    public T5Tokenizer(byte[] spieceModel, int maxTokens = DefaultMaxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        MaxTokens = maxTokens;
        using var model = new MemoryStream(SentencePieceModelBytes.WithValidBeginOfSentenceId(spieceModel));
        tokenizer = SentencePieceTokenizer.Create(model, addBeginningOfSentence: false, addEndOfSentence: true);
        PadId = SentencePieceModelBytes.PadId(spieceModel);
    }

    /// <summary>The ids (always <see cref="MaxTokens"/> of them) and their mask (1 real, 0 padding).</summary>
    public (int[] Ids, int[] Mask) Encode(string prompt)
    {
        var pieces = MergeUnknownRuns(tokenizer.EncodeToIds(prompt, addBeginningOfSentence: false, addEndOfSentence: false));
        var real = Math.Min(pieces.Count, MaxTokens - 1);
        var ids = new int[MaxTokens];
        var mask = new int[MaxTokens];
        for (var i = 0; i < real; i++) ids[i] = pieces[i];
        ids[real] = EndOfSentenceId;
        for (var i = real + 1; i < MaxTokens; i++) ids[i] = PadId;
        for (var i = 0; i <= real; i++) mask[i] = 1;
        return (ids, mask);
    }

    /// <summary>
    /// SentencePiece's Unigram encoder merges a run of unknown pieces into one &lt;unk&gt; (so a decoder can
    /// copy the unknown text); Microsoft.ML.Tokenizers 2.0.1 emits one per piece.
    /// </summary>
    List<int> MergeUnknownRuns(IReadOnlyList<int> pieces)
    {
        var merged = new List<int>(pieces.Count);
        foreach (var id in pieces)
            if (id != tokenizer.UnknownId || merged.Count == 0 || merged[^1] != id) merged.Add(id);
        return merged;
    }
}

/// <summary>
/// Edits of a SentencePiece <c>ModelProto</c>'s bytes, field by field on the wire (no generated classes).
/// Microsoft.ML.Tokenizers 2.0.1 throws IndexOutOfRangeException building a Unigram model whose
/// <c>TrainerSpec.bos_id</c> is -1 (it indexes its reverse vocabulary by that id), and T5's
/// <c>spiece.model</c> has exactly that: it has no beginning-of-sentence token.
/// </summary>
static class SentencePieceModelBytes
{
    const int TrainerSpecField = 2;      // ModelProto.trainer_spec
    const int UnkIdField = 40, BosIdField = 41, PadIdField = 43;   // TrainerSpec.unk_id, bos_id, pad_id
    const int DefaultUnkId = 0, DefaultPadId = -1;

    /// <summary>
    /// The model with a negative bos_id replaced by the unknown piece's id, a valid index that the
    /// tokenizer never emits as a beginning of sentence (ours never asks for one); other models unchanged.
    /// </summary>
    public static byte[] WithValidBeginOfSentenceId(byte[] model)
    {
        var spec = TrainerSpec(model);
        if (spec is null || Int32Field(spec, BosIdField, 1) >= 0) return model;
        var unk = Int32Field(spec, UnkIdField, DefaultUnkId);
        var edited = new MemoryStream();
        foreach (var (number, raw) in Fields(spec))
            if (number != BosIdField) edited.Write(raw);
        edited.Write(Encode(writer => { writer.WriteTag(BosIdField, WireFormat.WireType.Varint); writer.WriteInt32(unk); }));
        var output = new MemoryStream();
        foreach (var (number, raw) in Fields(model))
            output.Write(number != TrainerSpecField ? raw : Encode(writer =>
            {
                writer.WriteTag(TrainerSpecField, WireFormat.WireType.LengthDelimited);
                writer.WriteBytes(ByteString.CopyFrom(edited.ToArray()));
            }));
        return output.ToArray();
    }

    static byte[] Encode(Action<CodedOutputStream> write)
    {
        var bytes = new MemoryStream();
        var writer = new CodedOutputStream(bytes);
        write(writer);
        writer.Flush();
        return bytes.ToArray();
    }

    /// <summary>TrainerSpec.pad_id (T5: 0); a model without a pad piece pads with id 0 too.</summary>
    public static int PadId(byte[] model) => TrainerSpec(model) is { } spec && Int32Field(spec, PadIdField, DefaultPadId) is var pad and >= 0 ? pad : 0;

    static byte[]? TrainerSpec(byte[] model)
    {
        foreach (var (number, raw) in Fields(model))
            if (number == TrainerSpecField)
            {
                var input = new CodedInputStream(raw);
                input.ReadTag();
                return input.ReadBytes().ToByteArray();
            }
        return null;
    }

    static int Int32Field(byte[] message, int field, int fallback)
    {
        var value = fallback;
        foreach (var (number, raw) in Fields(message))
            if (number == field)
            {
                var input = new CodedInputStream(raw);
                input.ReadTag();
                value = input.ReadInt32();
            }
        return value;
    }

    /// <summary>Each top-level field of a message: its number and its bytes on the wire (tag included).</summary>
    static IEnumerable<(int Number, byte[] Raw)> Fields(byte[] message)
    {
        var input = new CodedInputStream(message);
        while (true)
        {
            var start = (int)input.Position;
            var tag = input.ReadTag();
            if (tag == 0) yield break;
            input.SkipLastField();
            yield return (WireFormat.GetTagFieldNumber(tag), message[start..(int)input.Position]);
        }
    }
}
