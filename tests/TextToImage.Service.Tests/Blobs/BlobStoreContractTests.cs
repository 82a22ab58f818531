using TextToImage.Service.Blobs;

namespace TextToImage.Service.Tests.Blobs;

/// <summary>What every <see cref="IBlobStore"/> promises; one subclass per provider.</summary>
public abstract class BlobStoreContractTests
{
    protected const string Png = "image/png";

    protected abstract IBlobStore Store { get; }

    protected static CancellationToken None => CancellationToken.None;

    protected static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    protected async Task<byte[]?> GetAsync(BlobKey key)
    {
        var stream = await Store.OpenReadAsync(key, None);
        return stream is null ? null : await ReadAllAsync(stream);
    }

    [Fact]
    public async Task Put_then_OpenRead_returns_the_same_bytes()
    {
        var key = BlobKey.Parse("0123abcd/stage-1/2.png");
        var content = RandomBytes(300_000, seed: 1);

        await Store.PutAsync(key, content, Png, None);

        Assert.Equal(content, await GetAsync(key));
    }

    [Fact]
    public async Task Delete_removes_the_blob_and_leaves_its_neighbours()
    {
        var key = BlobKey.Parse("0123abcd/stage-0/0.png");
        var neighbour = BlobKey.Parse("0123abcd/0.png");
        await Store.PutAsync(key, RandomBytes(100, seed: 3), Png, None);
        await Store.PutAsync(neighbour, RandomBytes(100, seed: 4), Png, None);

        Assert.True(await Store.DeleteAsync(key, None));
        Assert.Null(await Store.GetPropertiesAsync(key, None));
        Assert.NotNull(await GetAsync(neighbour));
        Assert.False(await Store.DeleteAsync(key, None));
    }

    [Fact]
    public async Task Put_of_an_empty_blob_round_trips()
    {
        var key = BlobKey.Parse("abc/empty.png");

        await Store.PutAsync(key, ReadOnlyMemory<byte>.Empty, Png, None);

        Assert.Empty((await GetAsync(key))!);
        Assert.Equal(0, (await Store.GetPropertiesAsync(key, None))!.Length);
    }

    [Theory]
    [InlineData("abc/0.png", "image/png")]
    [InlineData("abc/0.webp", "image/webp")]
    [InlineData("abc/0.jpg", "image/jpeg")]
    public async Task The_content_type_is_recorded(string name, string contentType)
    {
        var key = BlobKey.Parse(name);

        await Store.PutAsync(key, RandomBytes(100, seed: 2), contentType, None);

        Assert.Equal(contentType, (await Store.GetPropertiesAsync(key, None))!.ContentType);
    }

    [Fact]
    public async Task Properties_give_the_length_a_quoted_etag_and_the_time_of_writing()
    {
        var key = BlobKey.Parse("abc/0.png");
        var before = DateTimeOffset.UtcNow;

        await Store.PutAsync(key, RandomBytes(12_345, seed: 3), Png, None);
        var properties = await Store.GetPropertiesAsync(key, None);

        Assert.NotNull(properties);
        Assert.Equal(12_345, properties.Length);
        Assert.Equal(Png, properties.ContentType);
        AssertQuotedEntityTag(properties.ETag);
        // Generous margins: Azure storage keeps whole seconds, and the clocks are the same machine's.
        Assert.InRange(properties.LastModified, before.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task The_etag_is_stable_while_the_blob_is_unchanged()
    {
        var key = BlobKey.Parse("abc/0.png");
        await Store.PutAsync(key, RandomBytes(1000, seed: 4), Png, None);

        var first = await Store.GetPropertiesAsync(key, None);
        await GetAsync(key);
        var second = await Store.GetPropertiesAsync(key, None);

        Assert.Equal(first!.ETag, second!.ETag);
    }

    [Fact]
    public async Task The_etag_changes_when_the_content_changes_even_at_the_same_length()
    {
        var key = BlobKey.Parse("abc/0.png");
        var seen = new HashSet<string>();

        // Back-to-back writes of equal length: a tag made of size and a coarse timestamp repeats.
        for (var i = 0; i < 20; i++)
        {
            await Store.PutAsync(key, RandomBytes(4096, seed: 100 + i), Png, None);
            var etag = (await Store.GetPropertiesAsync(key, None))!.ETag;
            AssertQuotedEntityTag(etag);
            Assert.True(seen.Add(etag), $"Write {i} got entity tag {etag}, which an earlier, different content already had.");
        }
    }

    [Fact]
    public async Task The_etag_changes_when_the_length_changes()
    {
        var key = BlobKey.Parse("abc/0.png");
        await Store.PutAsync(key, RandomBytes(10, seed: 5), Png, None);
        var first = await Store.GetPropertiesAsync(key, None);

        await Store.PutAsync(key, RandomBytes(11, seed: 5), Png, None);
        var second = await Store.GetPropertiesAsync(key, None);

        Assert.NotEqual(first!.ETag, second!.ETag);
    }

    [Fact]
    public async Task An_absent_key_has_no_properties_and_no_stream()
    {
        var key = BlobKey.Parse("nothing/here.png");

        Assert.Null(await Store.GetPropertiesAsync(key, None));
        Assert.Null(await Store.OpenReadAsync(key, None));
    }

    [Fact]
    public async Task An_absent_key_next_to_a_present_one_has_no_properties_and_no_stream()
    {
        await Store.PutAsync(BlobKey.Parse("job/0.png"), RandomBytes(10, seed: 6), Png, None);

        foreach (var absent in new[] { "job/1.png", "job/0.webp", "job/stage-1/0.png", "other/0.png" })
        {
            var key = BlobKey.Parse(absent);
            Assert.Null(await Store.GetPropertiesAsync(key, None));
            Assert.Null(await Store.OpenReadAsync(key, None));
        }
    }

    [Theory]
    [InlineData(200_000, 10)]
    [InlineData(10, 200_000)]
    public async Task Overwrite_replaces_the_whole_blob(int firstLength, int secondLength)
    {
        var key = BlobKey.Parse("abc/0.png");
        var second = RandomBytes(secondLength, seed: 8);
        await Store.PutAsync(key, RandomBytes(firstLength, seed: 7), Png, None);

        await Store.PutAsync(key, second, Png, None);

        Assert.Equal(second, await GetAsync(key));
        Assert.Equal(secondLength, (await Store.GetPropertiesAsync(key, None))!.Length);
    }

    /// <summary>
    /// Readers racing a writer see a whole version, never a mix. Not a [Fact] of the contract itself: each
    /// store's tests run it where the server under test can keep the promise (s3rver, the S3 stand-in,
    /// truncates an object's file while a read streams it; S3 itself replaces objects atomically).
    /// </summary>
    protected async Task AssertConcurrentReadersSeeTheOldBytesOrTheNew()
    {
        var key = BlobKey.Parse("abc/0.png");
        // Two versions that differ in every byte and in length: any torn read shows.
        var versions = new[] { Fill(512 * 1024, 0x11), Fill(384 * 1024, 0x22) };
        await Store.PutAsync(key, versions[0], Png, None);

        var writing = true;
        var failures = new List<string>();
        var reads = 0;

        async Task Read()
        {
            do
            {
                var bytes = await GetAsync(key);
                Interlocked.Increment(ref reads);
                if (bytes is null)
                    lock (failures) failures.Add("a read found no blob");
                else if (!versions.Any(v => v.AsSpan().SequenceEqual(bytes)))
                    lock (failures) failures.Add($"a read got {bytes.Length} bytes that match neither version");
            }
            while (Volatile.Read(ref writing));
        }

        async Task Write()
        {
            try
            {
                for (var i = 1; i <= 40; i++)
                    await Store.PutAsync(key, versions[i % 2], Png, None);
            }
            finally
            {
                Volatile.Write(ref writing, false);
            }
        }

        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(Read)).ToArray();
        await Task.Run(Write);
        await Task.WhenAll(readers);

        Assert.Empty(failures);
        Assert.True(reads >= readers.Length);
        Assert.Equal(versions[0], await GetAsync(key)); // the 40th write
    }

    [Fact]
    public async Task Ping_succeeds_on_a_working_store()
    {
        var error = await Record.ExceptionAsync(() => Store.PingAsync(None));

        Assert.Null(error);
    }

    static byte[] Fill(int length, byte value)
    {
        var bytes = new byte[length];
        Array.Fill(bytes, value);
        return bytes;
    }

    protected static void AssertQuotedEntityTag(string etag)
    {
        // RFC 9110: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; a strong tag for byte ranges and caches.
        Assert.Matches("^\"[\\x21\\x23-\\x7E]+\"$", etag);
    }
}
