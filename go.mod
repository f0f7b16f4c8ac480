module github.com/uriba-live/uriba

go 1.26.8

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/tencentyun/scf-go-lib v0.0.0-20230904103145-13c9a7eeca80
	github.com/tencentyun/tls-sig-api-v2-golang v1.4.0
	go.etcd.io/bbolt v1.5.0
)

require golang.org/x/sys v0.45.0 // indirect
