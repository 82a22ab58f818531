namespace TextToImage.Testing;

public static class Folders
{
    /// <summary>Copies every file below <paramref name="from"/> to the same place below <paramref name="to"/>.</summary>
    public static void Copy(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
