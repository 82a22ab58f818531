// MSBuild task (compiled by RoslynCodeTaskFactory against netstandard2.0, see LibTorchCompat.targets).
// Makes TorchSharp's libLibTorchSharp.so loadable where libstdc++ predates GLIBCXX_3.4.32
// (Debian 12). The library's only use of that version is std::ios_base_library_init, which
// GCC 13's <iostream> references with a bare `.globl` to pin the libstdc++ version: no code
// calls it and no relocation names it (checked with readelf -r), so nothing ever binds it.
// Two edits drop the requirement:
//   1. that symbol's .gnu.version entry -> 1 (global, unversioned), and
//   2. the GLIBCXX_3.4.32 entry of .gnu.version_r marked weak, so glibc tolerates its absence.
// On a system whose libstdc++ is new enough it changes nothing. Facts: docs/native-libtorch.md.
using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class LibTorchCompat : Task
{
    const string Symbol = "_ZSt21ios_base_library_initv";
    const string Version = "GLIBCXX_3.4.32";
    const uint ShtDynSym = 11, ShtGnuVerNeed = 0x6ffffffe, ShtGnuVerSym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2, VerNdxGlobal = 1;

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    /// <summary>Output folders (build or publish) that may hold TorchSharp's native library.</summary>
    [Required] public ITaskItem[] Directories { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return true;
        var libraries = Directories
            .SelectMany(d => new[] { Path.Combine(d.ItemSpec, "libLibTorchSharp.so"),
                                     Path.Combine(d.ItemSpec, "runtimes", "linux-x64", "native", "libLibTorchSharp.so") })
            .Where(File.Exists).Select(Path.GetFullPath).Distinct().ToList();
        if (libraries.Count == 0 || SystemLibStdCxxHas(Version)) return true;

        foreach (var library in libraries)
        {
            try
            {
                PatchFile(library);
            }
            catch (InvalidDataException e)
            {
                Log.LogError($"Cannot adapt {library} to this system's libstdc++ (it lacks {Version}): {e.Message} " +
                             "Build and run on a system whose libstdc++ has it (Debian 13, Ubuntu 24.04) instead.");
                return false;
            }
        }
        return true;
    }

    static bool SystemLibStdCxxHas(string version)
    {
        var path = LibStdCxxCandidates.FirstOrDefault(File.Exists);
        // No libstdc++ where we look: nothing we could adapt to either.
        return path is null || Encoding.ASCII.GetString(File.ReadAllBytes(path)).Contains(version + "\0");
    }

    void PatchFile(string library)
    {
        var elf = File.ReadAllBytes(library);
        if (!Patch(elf)) return;
        // Write beside and rename: never edit in place a file that may be hard-linked to the
        // NuGet cache or mapped by a running process.
        var temp = library + ".patching";
        File.WriteAllBytes(temp, elf);
        File.Delete(library);
        File.Move(temp, library);
        Log.LogMessage(MessageImportance.High, $"Patched {library} for a libstdc++ without {Version}.");
    }

    /// <returns>whether any byte changed.</returns>
    static bool Patch(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file.");
        long shoff = (long)U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);

        long dynsym = -1, versym = -1, verneed = -1;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            switch (U32(elf, sh + 4))
            {
                case ShtDynSym: dynsym = sh; break;
                case ShtGnuVerSym: versym = sh; break;
                case ShtGnuVerNeed: verneed = sh; break;
            }
        }
        if (dynsym < 0 || versym < 0 || verneed < 0)
            throw new InvalidDataException("it has no .dynsym, .gnu.version or .gnu.version_r section.");

        long dynstrOffset = SectionOffset(elf, shoff, shentsize, U32(elf, dynsym + 40));
        long symOffset = (long)U64(elf, dynsym + 24), symCount = (long)U64(elf, dynsym + 32) / 24;
        long versymOffset = (long)U64(elf, versym + 24);

        // Find the version index GLIBCXX_3.4.32 has in this file, and make its need weak.
        int versionIndex = -1;
        bool changed = false;
        long needOffset = (long)U64(elf, verneed + 24);
        long needStrings = SectionOffset(elf, shoff, shentsize, U32(elf, verneed + 40));
        for (long need = needOffset; ; )
        {
            long aux = need + U32(elf, need + 8);
            for (int j = 0; j < U16(elf, need + 2); j++)
            {
                if (CString(elf, needStrings + U32(elf, aux + 8)) == Version)
                {
                    versionIndex = U16(elf, aux + 6) & 0x7fff;
                    ushort flags = U16(elf, aux + 4);
                    if ((flags & VerFlgWeak) == 0) { W16(elf, aux + 4, (ushort)(flags | VerFlgWeak)); changed = true; }
                }
                aux += U32(elf, aux + 12);
            }
            uint next = U32(elf, need + 12);
            if (next == 0) break;
            need += next;
        }

        bool symbolFound = false;
        for (long s = 0; s < symCount; s++)
        {
            long entry = versymOffset + s * 2;
            int version = U16(elf, entry) & 0x7fff;
            string name = CString(elf, dynstrOffset + U32(elf, symOffset + s * 24));
            if (name == Symbol)
            {
                symbolFound = true;
                if (version != VerNdxGlobal) { W16(elf, entry, VerNdxGlobal); changed = true; }
            }
            else if (versionIndex >= 0 && version == versionIndex)
                throw new InvalidDataException($"symbol {name} also needs {Version}, and only {Symbol} is known to be unused.");
        }
        if (!symbolFound && versionIndex >= 0)
            throw new InvalidDataException($"it needs {Version} but does not import {Symbol}.");
        return changed;
    }

    static long SectionOffset(byte[] elf, long shoff, int shentsize, uint index) =>
        (long)U64(elf, shoff + index * shentsize + 24);

    static ushort U16(byte[] b, long o) => BitConverter.ToUInt16(b, checked((int)o));
    static uint U32(byte[] b, long o) => BitConverter.ToUInt32(b, checked((int)o));
    static ulong U64(byte[] b, long o) => BitConverter.ToUInt64(b, checked((int)o));
    static void W16(byte[] b, long o, ushort v) { b[o] = (byte)v; b[o + 1] = (byte)(v >> 8); }

    static string CString(byte[] b, long o)
    {
        int start = checked((int)o), end = start;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, start, end - start);
    }
}
