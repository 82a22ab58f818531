using Microsoft.ML.Tokenizers;

namespace TextToImage.Diffusion.Text;

/// <summary>
/// Prompts to BERT token ids as Hugging Face's uncased BertTokenizer makes them: its basic
/// tokenization (<see cref="BertBasicTokenizer"/>: lower-cased, accents stripped, punctuation and CJK
/// characters split), then Microsoft.ML.Tokenizers' WordPiece over the words, [CLS] ... [SEP].
/// A prompt longer than <see cref="MaxTokens"/> is truncated as Hugging Face truncates: its first MaxTokens - 2 word pieces are kept (a word may be
/// cut between its pieces) and [SEP] still ends it. (Microsoft.ML.Tokenizers' own limit keeps whole
/// words only, which can leave fewer tokens than Hugging Face would.)
/// </summary>
public sealed class BertPromptTokenizer
{
    readonly BertTokenizer _tokenizer;

    public BertPromptTokenizer(Stream vocabulary, int maxTokens)
    {
        if (maxTokens < 2) throw new ArgumentOutOfRangeException(nameof(maxTokens), "At least 2 tokens ([CLS] and [SEP]).");
        _tokenizer = BertTokenizer.Create(vocabulary, new BertOptions
        {
            // The words come pre-split and normalised (see BertBasicTokenizer for why): WordPiece only.
            ApplyBasicTokenization = false,
            LowerCaseBeforeTokenization = false,
        });
        MaxTokens = maxTokens;
    }

    public int MaxTokens { get; }

    public int PaddingId => _tokenizer.PaddingTokenId;

    /// <summary>The ids of one prompt, [CLS] and [SEP] included, at most <see cref="MaxTokens"/>.</summary>
    public IReadOnlyList<int> Encode(string prompt)
    {
        var pieces = _tokenizer.EncodeToIds(BertBasicTokenizer.Split(prompt), addSpecialTokens: false);
        return [_tokenizer.ClassificationTokenId, .. pieces.Take(MaxTokens - 2), _tokenizer.SeparatorTokenId];
    }

    /// <summary>
    /// A batch as [B, L] ids and mask, L the longest prompt's length (not MaxTokens: shorter batches
    /// run faster, and padding positions are masked out anyway).
    /// </summary>
    public (long[,] Ids, bool[,] Mask) EncodeBatch(IReadOnlyList<string> prompts)
    {
        var encoded = prompts.Select(Encode).ToList();
        var length = encoded.Max(ids => ids.Count);
        var (ids, mask) = (new long[prompts.Count, length], new bool[prompts.Count, length]);
        for (var row = 0; row < encoded.Count; row++)
        {
            for (var i = 0; i < length; i++)
            {
                var real = i < encoded[row].Count;
                ids[row, i] = real ? encoded[row][i] : PaddingId;
                mask[row, i] = real;
            }
        }
        return (ids, mask);
    }
}
