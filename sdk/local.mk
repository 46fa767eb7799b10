# The installed SDK headers.
sdk_includedir = $(includedir)/drover
sdk_include_HEADERS = \
	sdk/include/drover/driver.h \
	sdk/include/drover/schema.h \
	sdk/include/drover/value.h
EXTRA_DIST += sdk/drover-sdk.pc.in
