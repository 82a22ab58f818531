using TextToImage.Service.Blobs;

namespace TextToImage.Service.Tests.Blobs;

public sealed class BlobKeyTests
{
    [Theory]
    [InlineData("abc/0.png")]
    [InlineData("0123abcd/stage-1/2.webp")]
    [InlineData("0.png")]
    [InlineData("a_b-c/d_e-f.webp")]
    [InlineData("x/y/z/0.jpeg")]
    public void Valid_keys_parse_to_themselves(string text)
    {
        Assert.True(BlobKey.TryParse(text, out var key));
        Assert.Equal(text, key.Value);
        Assert.Equal(text, key.ToString());
        Assert.Equal(key, BlobKey.Parse(text));
    }

    public static TheoryData<string> InvalidKeys => new()
    {
        "../x.png",
        "a/../b.png",
        "./x.png",
        "a/./b.png",
        "/etc/passwd",
        "/abc/0.png",
        "a\\b.png",
        "a//b.png",
        "A/b.png",
        "a/B.png",
        "a/b.PNG",
        "%2e%2e/x.png",
        "a%2fb.png",
        "",
        " ",
        "a/b",
        "a/.png",
        ".png",
        "a/b.",
        "abc/0.png/",
        "abc/0.png\n",
        "abc/0.png\r\n",
        "\nabc/0.png",
        "abc/0.png\0",
        "abc/0 .png",
        "-a/0.png",
        "a/_0.png",
        "é/0.png",
        "a/b.p-g",
        "c:/x.png",
        "~/x.png",
        new string('a', 296) + "/0.png", // 300 characters
    };

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public void Invalid_keys_are_rejected(string text)
    {
        Assert.False(BlobKey.TryParse(text, out var key));
        Assert.Null(key);
        var error = Assert.Throws<ArgumentException>(() => BlobKey.Parse(text));
        Assert.Equal("text", error.ParamName);
    }

    [Fact]
    public void Null_is_rejected()
    {
        Assert.False(BlobKey.TryParse(null, out var key));
        Assert.Null(key);
        Assert.ThrowsAny<ArgumentException>(() => BlobKey.Parse(null!));
    }

    [Fact]
    public void The_length_limit_is_inclusive()
    {
        var longest = new string('a', BlobKey.MaxLength - "/0.png".Length) + "/0.png";
        var tooLong = "a" + longest;

        Assert.Equal(BlobKey.MaxLength, longest.Length);
        Assert.True(BlobKey.TryParse(longest, out _));
        Assert.False(BlobKey.TryParse(tooLong, out _));
    }

    [Fact]
    public void Keys_compare_by_value()
    {
        Assert.Equal(BlobKey.Parse("abc/0.png"), BlobKey.Parse("abc/0.png"));
        Assert.NotEqual(BlobKey.Parse("abc/0.png"), BlobKey.Parse("abc/1.png"));
    }

    [Fact]
    public void Image_keys_follow_the_job_layout()
    {
        Assert.Equal("0123abcd/0.png", BlobKey.ForImage("0123abcd", 0, "png").Value);
        Assert.Equal("0123abcd/stage-1/2.webp", BlobKey.ForStageImage("0123abcd", 1, 2, "webp").Value);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("ABC")]
    [InlineData("a/../..")]
    [InlineData("")]
    public void Image_keys_reject_a_job_id_that_would_leave_the_job_folder(string jobId)
    {
        Assert.Throws<ArgumentException>(() => BlobKey.ForImage(jobId, 0, "png"));
        Assert.Throws<ArgumentException>(() => BlobKey.ForStageImage(jobId, 1, 0, "png"));
    }
}
