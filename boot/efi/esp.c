/* Files on the FAT volume the loader was started from (the ESP, or a USB
 * stick's FAT partition). Every path is from the volume root. */
#include "boot/efi/hvloader.h"

static const CHAR16 cfg_name[] = L"HVLOADER.CFG";
static const CHAR16 default_dir[] = L"\\EFI\\BOOT\\";

/* Appends c to out[0..*n) as the firmware wants paths: '\' separators, one
 * at a time, a leading one. Keeps room for the NUL; false when full. */
static BOOLEAN path_put(CHAR16 *out, UINTN *n, UINTN cap, CHAR16 c)
{
	if (c == '/')
		c = '\\';
	if (c == '\\' && *n && out[*n - 1] == '\\')
		return TRUE;
	if (!*n && c != '\\' && !path_put(out, n, cap, '\\'))
		return FALSE;
	if (*n + 1 >= cap)
		return FALSE;
	out[(*n)++] = c;
	return TRUE;
}

/* The folder of the loader's own file (\EFI\BOOT\ for BOOTX64.EFI started
 * as a removable-media default) from its device path's file-path nodes,
 * which firmware may split at any separator. Falls back to \EFI\BOOT\. */
static void loader_dir(EFI_DEVICE_PATH *dp, CHAR16 *out, UINTN cap)
{
	UINTN n = 0, cut = 0;

	for (; dp && !IsDevicePathEnd(dp); dp = NextDevicePathNode(dp)) {
		UINTN len = DevicePathNodeLength(dp);
		const UINT8 *name = (const UINT8 *)dp + 4; /* node names need not be aligned */

		if (len < 4)
			break;
		if (DevicePathType(dp) != MEDIA_DEVICE_PATH || DevicePathSubType(dp) != MEDIA_FILEPATH_DP)
			continue;
		if (!path_put(out, &n, cap, '\\'))
			goto fallback;
		for (UINTN i = 0; i + 1 < len - 4; i += 2) {
			CHAR16 c = (CHAR16)(name[i] | name[i + 1] << 8);

			if (!c)
				break;
			if (!path_put(out, &n, cap, c))
				goto fallback;
		}
	}
	for (UINTN i = 0; i < n; i++)
		if (out[i] == '\\')
			cut = i + 1;
	if (cut) {
		out[cut] = 0;
		return;
	}
fallback:
	StrCpy(out, (CHAR16 *)default_dir);
}

void esp_path(const char *path, CHAR16 *out)
{
	UINTN n = 0;

	/* lcfg.c caps paths at LCFG_PATH_MAX: with a leading '\' they fit. */
	while (*path && path_put(out, &n, HVL_PATH_MAX + 1, (CHAR16)*path))
		path++;
	out[n] = 0;
}

EFI_STATUS esp_open(EFI_HANDLE image, struct esp *esp)
{
	EFI_GUID fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_LOADED_IMAGE *li;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st)) {
		Print(L"hvloader: cannot find its own loaded-image protocol (%r)\n", st);
		return st;
	}
	st = uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle, &fs_guid, (void **)&fs);
	if (!EFI_ERROR(st))
		st = uefi_call_wrapper(fs->OpenVolume, 2, fs, &esp->root);
	if (EFI_ERROR(st)) {
		Print(L"hvloader: cannot open the FAT volume it was started from (%r)\n", st);
		return st;
	}
	loader_dir(li->FilePath, esp->cfg_path, HVL_PATH_MAX);
	StrCat(esp->cfg_path, (CHAR16 *)cfg_name);
	return EFI_SUCCESS;
}

void esp_close(struct esp *esp)
{
	if (esp->root)
		uefi_call_wrapper(esp->root->Close, 1, esp->root);
	esp->root = NULL;
}

static EFI_STATUS file_size(EFI_FILE_HANDLE f, const CHAR16 *path, UINT64 *size)
{
	EFI_FILE_INFO *info = LibFileInfo(f);
	BOOLEAN dir;

	if (!info) {
		Print(L"hvloader: %s: cannot read its size\n", path);
		return EFI_DEVICE_ERROR;
	}
	dir = (info->Attribute & EFI_FILE_DIRECTORY) != 0;
	*size = info->FileSize;
	FreePool(info);
	if (dir) {
		Print(L"hvloader: %s: is a folder, not a file\n", path);
		return EFI_NOT_FOUND;
	}
	if (*size >= HVL_4G) {
		Print(L"hvloader: %s: 4 GiB or larger; everything must fit below 4 GiB\n", path);
		return EFI_BAD_BUFFER_SIZE;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS read_all(EFI_FILE_HANDLE f, const CHAR16 *path, UINT8 *dst, UINT64 size)
{
	for (UINT64 done = 0; done < size;) {
		UINTN n = size - done;
		EFI_STATUS st = uefi_call_wrapper(f->Read, 3, f, &n, dst + done);

		if (EFI_ERROR(st) || !n) {
			Print(L"hvloader: %s: read failed after %ld of %ld bytes (%r)\n", path, done,
			      size, EFI_ERROR(st) ? st : EFI_END_OF_FILE);
			return EFI_ERROR(st) ? st : EFI_END_OF_FILE;
		}
		done += n;
	}
	return EFI_SUCCESS;
}

EFI_STATUS esp_read(struct esp *esp, const CHAR16 *path, struct hvl_blob *out)
{
	EFI_FILE_HANDLE f;
	EFI_STATUS st;
	UINT64 size, pa, alloc;

	st = uefi_call_wrapper(esp->root->Open, 5, esp->root, &f, (CHAR16 *)path, EFI_FILE_MODE_READ,
			       0ull);
	if (EFI_ERROR(st)) {
		Print(L"hvloader: %s: cannot open (%r)\n", path, st);
		return st;
	}
	st = file_size(f, path, &size);
	if (EFI_ERROR(st))
		goto out;
	st = mem_alloc_low(size + 1, EfiLoaderData, &pa);
	if (EFI_ERROR(st)) {
		Print(L"hvloader: %s: no room below 4 GiB for its %ld bytes (%r)\n", path, size, st);
		goto out;
	}
	alloc = HVL_PAGES_TO_SIZE(EFI_SIZE_TO_PAGES(size + 1));
	ZeroMem((UINT8 *)pa + size, alloc - size);
	st = read_all(f, path, (UINT8 *)pa, size);
	if (EFI_ERROR(st)) {
		mem_free(pa);
		goto out;
	}
	*out = (struct hvl_blob){ pa, size };
out:
	uefi_call_wrapper(f->Close, 1, f);
	return st;
}
