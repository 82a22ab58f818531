using TextToImage.Service.Blobs;

namespace TextToImage.Service.Tests.Blobs;

public sealed class FileSystemBlobStoreTests : BlobStoreContractTests, IDisposable
{
    readonly TempFolder temp = new();
    readonly string root;
    readonly FileSystemBlobStore store;

    public FileSystemBlobStoreTests()
    {
        root = temp["store"];
        store = new FileSystemBlobStore(root);
    }

    protected override IBlobStore Store => store;

    public void Dispose() => temp.Dispose();

    [Fact]
    public void The_constructor_creates_the_root_folder() => Assert.True(Directory.Exists(root));

    [Fact]
    public void There_is_no_signed_url() => Assert.Null(store.SignedUrl(BlobKey.Parse("abc/0.png"), TimeSpan.FromMinutes(5)));

    [Fact]
    public async Task Ping_throws_once_the_root_folder_is_deleted()
    {
        Directory.Delete(root, recursive: true);

        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => store.PingAsync(None));
    }

    [Fact]
    public void Ping_reports_a_missing_root_through_the_task_not_by_throwing()
    {
        Directory.Delete(root, recursive: true);

        var ping = store.PingAsync(None); // a caller that starts several checks and awaits later must not blow up here

        Assert.True(ping.IsFaulted);
        Assert.IsType<DirectoryNotFoundException>(ping.Exception!.InnerException);
    }

    [Theory]
    [InlineData("abc/0.png")]
    [InlineData("0123abcd/stage-1/2.png")]
    [InlineData("a/b/c/d/e_f-g/0.webp")]
    public async Task A_blob_is_one_file_at_its_key_under_the_root_and_nothing_else_is_written(string name)
    {
        var key = BlobKey.Parse(name);
        var content = RandomBytes(1000, seed: 9);

        await store.PutAsync(key, content, Png, None);

        var expected = Path.Combine([root, .. name.Split('/')]);
        var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories);
        Assert.Equal([expected], files); // no temporary file left behind either
        Assert.StartsWith(root + Path.DirectorySeparatorChar, Path.GetFullPath(files[0]), StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllBytesAsync(expected));
        // The temp folder around the root holds only the root: nothing was written beside it.
        Assert.Equal([root], Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public async Task A_relative_root_is_resolved_once_so_later_changes_of_directory_do_not_move_the_store()
    {
        var key = BlobKey.Parse("abc/0.png");
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, root);
        var relativeStore = new FileSystemBlobStore(relative);

        await relativeStore.PutAsync(key, RandomBytes(10, seed: 10), Png, None);

        Assert.True(File.Exists(Path.Combine(root, "abc", "0.png")));
    }

    [Fact]
    public async Task The_etag_follows_the_content_even_when_two_writes_share_a_timestamp()
    {
        // File times move in coarse steps (8 ms on ext4 here): simulate two writes in one step.
        var key = BlobKey.Parse("abc/0.png");
        var path = Path.Combine(root, "abc", "0.png");
        await store.PutAsync(key, RandomBytes(4096, seed: 30), Png, None);
        var first = await store.GetPropertiesAsync(key, None);
        var written = File.GetLastWriteTimeUtc(path);

        await store.PutAsync(key, RandomBytes(4096, seed: 31), Png, None);
        File.SetLastWriteTimeUtc(path, written);
        var second = await store.GetPropertiesAsync(key, None);

        Assert.Equal(first!.LastModified, second!.LastModified);
        Assert.NotEqual(first.ETag, second.ETag);
    }

    [Fact]
    public async Task Equal_content_has_an_equal_etag()
    {
        var content = RandomBytes(4096, seed: 32);
        await store.PutAsync(BlobKey.Parse("abc/0.png"), content, Png, None);
        await store.PutAsync(BlobKey.Parse("abc/1.png"), content, Png, None);

        var first = await store.GetPropertiesAsync(BlobKey.Parse("abc/0.png"), None);
        var second = await store.GetPropertiesAsync(BlobKey.Parse("abc/1.png"), None);

        Assert.Equal(first!.ETag, second!.ETag);
    }

    [Fact]
    public Task Concurrent_readers_see_the_old_bytes_or_the_new_never_a_mix() => AssertConcurrentReadersSeeTheOldBytesOrTheNew();
}
